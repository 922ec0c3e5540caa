import { aiGenerationV1, type EventEnvelope } from '@chatgraph/schema';
import { createLogger, type Principal } from '@chatgraph/kit';
import { documentStoreFromConfig, type DocumentStore } from '@chatgraph/kit/store';
import { eventBusFromConfig, PENDING_OUTBOX, type EventBus } from '@chatgraph/kit/events';
import { createEmbeddedKv, type KvStore } from '@chatgraph/kit/kv';
import {
  collectEvents as collect,
  embeddedTarget,
  eventually,
  interceptStore,
  ok,
  realServersEnv as realEnv,
  realTarget,
  startSubgraph,
  type CollectedEvent,
  type SubgraphHarness,
  type Target as SharedTarget,
} from '@chatgraph/test-support';
import { loadConversationConfig } from '../src/config';
import { buildConversation, type Conversation } from '../src/server';
import { conversationCollections, type ConversationCollections } from '../src/store';

export { ANON, codeOf, eventually, ok, userPrincipal } from '@chatgraph/test-support';

export const SECRET = 'conversation-test-secret-0123456789abcdef';

export interface Harness extends SubgraphHarness<Conversation> {
  conversation: Conversation;
  store: DocumentStore;
  bus: EventBus;
  collections: ConversationCollections;
  /** The embedded kv of `withKv` (the requested-generation records and applied-outcome markers go there). */
  kv: KvStore | undefined;
  /** Store reads per collection since the last `resetReads()`. */
  reads: Map<string, number>;
  /** The outbox relay's scans (reads of every pending document) per collection, since start. */
  relayScans: Map<string, number>;
  /**
   * Waits until the outbox relay has published every pending event (its lookups of the documents
   * just written are store reads too, and on a real server they can still run), then starts counting.
   */
  resetReads(): Promise<void>;
}

/** Where a suite runs (embedded or real servers). */
export type Target = SharedTarget<Harness>;

const READS = new Set(['find', 'findOne', 'findById', 'findByIds', 'count']);

/** Wraps a store so every read of every collection is counted by collection name. */
function countingStore(inner: DocumentStore, reads: Map<string, number>, relayScans: Map<string, number>): DocumentStore {
  return interceptStore(inner, (collection, method, args, call) => {
    // The outbox relay's background scans are not request work: leave them out of the count.
    const filter = args[0];
    const relayScan = method === 'find' && typeof filter === 'object' && filter !== null && '_outbox.event.id' in filter;
    if (READS.has(method) && !relayScan) reads.set(collection, (reads.get(collection) ?? 0) + 1);
    if (relayScan) relayScans.set(collection, (relayScans.get(collection) ?? 0) + 1);
    return call();
  });
}

/**
 * The configuration of conversation on the real servers (`*.real.test.ts`): FerretDB and Kafka
 * (REAL_SERVERS), a database of its own for each call so reruns never see old documents.
 */
export const realServersEnv = (): Record<string, string> => realEnv({ documentStore: true, eventBus: 'shared-topics' });

/**
 * Starts conversation on port 0 over the store and bus its configuration names, as `main.ts`
 * does: embedded ones in a temp directory by default, the real servers with `realServersEnv()`.
 */
export async function startConversation(
  options: { env?: Record<string, string>; withKv?: boolean; relayPollMs?: number; relayScanIntervalMs?: number } = {},
): Promise<Harness> {
  const reads = new Map<string, number>();
  const relayScans = new Map<string, number>();
  const h = await startSubgraph({
    name: 'conversation',
    secret: SECRET,
    setup(dataDir) {
      // The suites leave many answers open on purpose; the per-user cap has its own suite (admission).
      const config = loadConversationConfig({
        INTERNAL_SIGNING_SECRET: SECRET,
        DATA_DIR: dataDir,
        MAX_OPEN_GENERATIONS_PER_USER: '1000',
        ...options.env,
      });
      const logger = createLogger({ name: 'conversation', level: 'silent' });
      const store = countingStore(documentStoreFromConfig(config, 'conversation', logger), reads, relayScans);
      const bus = eventBusFromConfig(config, 'conversation', logger);
      const kv = options.withKv ? createEmbeddedKv({ logger }) : undefined;
      return {
        store,
        bus,
        kv,
        adapters: kv ? [store, bus, kv] : [store, bus],
        build: () =>
          buildConversation({
            store,
            bus,
            kv,
            config,
            logger,
            relayPollMs: options.relayPollMs ?? 50,
            relayScanIntervalMs: options.relayScanIntervalMs,
          }),
      };
    },
  });
  const { store, bus, kv } = h.parts;
  return {
    ...h,
    conversation: h.service,
    store,
    bus,
    kv,
    collections: conversationCollections(store),
    reads,
    relayScans,
    resetReads: async () => {
      const collections = conversationCollections(store);
      const pending = async (): Promise<number> =>
        (await collections.messages.count(PENDING_OUTBOX)) + (await collections.conversations.count(PENDING_OUTBOX));
      await eventually(pending, (n) => n === 0, 3000);
      reads.clear();
    },
  };
}

/** conversation with an embedded kv: it records requested generations and marks applied outcomes there. */
export async function startConversationWithKv(): Promise<Harness & { kv: KvStore }> {
  const h = await startConversation({ withKv: true });
  const { kv } = h;
  if (!kv) throw new Error('withKv started no kv');
  return { ...h, kv };
}

export interface SentTurn {
  conversation: { id: string; title: string };
  userMessage: { id: string; content: string; parentId: string | null };
  assistantMessage: { id: string; status: string; streamId: string; parentId: string };
  streamId: string;
}

export const TURN_FIELDS =
  'conversation { id title } userMessage { id content parentId } assistantMessage { id status streamId parentId } streamId';

export async function send(h: Harness, who: Principal, input: Record<string, unknown>): Promise<SentTurn> {
  return ok<SentTurn>(
    await h.gql(who, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${TURN_FIELDS} } }`, { input }),
    'sendMessage',
  );
}

/**
 * Collects every event of `topics` that occurred from now on, read from the start of the log (a
 * fresh consumer group); on a real Kafka, earlier runs' events are left out.
 */
export const collectEvents = (h: Harness, topics: string[]): Promise<CollectedEvent[]> => collect(h.bus, topics);

/** In-process adapters in a temp directory. */
export const embedded = embeddedTarget((env) => startConversation({ env }));

/** FerretDB + Kafka (`realServersEnv()`), a fresh database per harness. */
export const realServers = realTarget((env) => startConversation({ env }), realServersEnv);

/** Publishes an ai-gateway result for a pending assistant message, as ai-gateway would. */
export async function publishResult(
  h: Harness,
  ownerId: string,
  turn: { conversationId: string; messageId: string; streamId: string },
  outcome: { content: string } | { error: string },
  eventId?: string,
): Promise<EventEnvelope> {
  const subject = { conversationId: turn.conversationId, messageId: turn.messageId, streamId: turn.streamId, ownerId };
  const options = eventId ? { id: eventId } : {};
  const event =
    'content' in outcome
      ? aiGenerationV1.create(
          'generation.completed',
          subject,
          {
            content: outcome.content,
            finishReason: 'stop',
            model: 'local-demo',
            usage: { promptTokens: 10, completionTokens: 7, totalTokens: 17 },
          },
          options,
        )
      : aiGenerationV1.create('generation.failed', subject, { error: outcome.error }, options);
  await h.bus.publish(aiGenerationV1.topic, [{ key: turn.conversationId, event }]);
  return event;
}

/** The turn's ids as `publishResult` takes them. */
export const idsOf = (t: SentTurn) => ({ conversationId: t.conversation.id, messageId: t.assistantMessage.id, streamId: t.streamId });

/** Completes the turn's answer through the bus and waits until the consumer stored it. */
export async function answer(h: Harness, ownerId: string, t: SentTurn, content: string): Promise<void> {
  await publishResult(h, ownerId, idsOf(t), { content });
  const done = await eventually(
    () => h.collections.messages.findById(t.assistantMessage.id),
    (m) => m?.status === 'COMPLETE',
    h.tries,
  );
  if (done?.status !== 'COMPLETE') throw new Error('the answer was not completed');
}
