import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { aiGenerationV1, type EventEnvelope } from '@chatgraph/schema';
import { documentStoreFromConfig, eventBusFromConfig, newId, createLogger, signedGraphQL, type Collection, type CollectionSpec, type DocumentStore, type EventBus, type GraphQLResponse, type Principal, type StoredDocument, type UserPrincipal } from '@chatgraph/kit';
import { loadConversationConfig } from '../src/config';
import { buildConversation, type Conversation } from '../src/server';
import { conversationCollections, type ConversationCollections } from '../src/store';

export const SECRET = 'conversation-test-secret-0123456789abcdef';
export const ANON: Principal = { kind: 'anonymous' };

/** A signed-in user as the router would forward them (conversation never checks identity). */
export function userPrincipal(userId: string): UserPrincipal {
  return { kind: 'user', userId, role: 'USER', via: 'jwt', sessionId: `s-${userId}` };
}

export interface Harness {
  conversation: Conversation;
  url: string;
  store: DocumentStore;
  bus: EventBus;
  collections: ConversationCollections;
  /** Store reads per collection since the last `resetReads()` (with `countReads`). */
  reads: Map<string, number>;
  resetReads(): void;
  /** Bounded polling steps for asynchronous work (`answer`); 400 unless the target says more. */
  tries?: number;
  gql<T = Record<string, unknown>>(principal: Principal, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  dispose(): Promise<void>;
}

const READS = new Set(['find', 'findOne', 'findById', 'findByIds', 'count']);

/** Wraps a store so every read of every collection is counted by collection name. */
function countingStore(inner: DocumentStore, reads: Map<string, number>): DocumentStore {
  return {
    start: () => inner.start(),
    stop: () => inner.stop(),
    ping: () => inner.ping(),
    collection<T extends StoredDocument>(spec: CollectionSpec<T>): Collection<T> {
      const collection = inner.collection(spec);
      return new Proxy(collection, {
        get(target, prop, receiver) {
          const value: unknown = Reflect.get(target, prop, receiver);
          if (typeof prop !== 'string' || !READS.has(prop) || typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            // The outbox relay's background scans are not request work: leave them out of the count.
            const filter = args[0];
            if (prop === 'find' && typeof filter === 'object' && filter !== null && '_outbox.event.id' in filter) return (value as (...a: unknown[]) => unknown).apply(target, args);
            reads.set(target.name, (reads.get(target.name) ?? 0) + 1);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    },
  };
}

let realRuns = 0;

/**
 * The configuration of conversation on the real servers (`*.real.test.ts`): MONGO_URL and
 * KAFKA_BROKERS from the environment, defaulting to CI's scripts/infra ports, and a database of
 * its own for each call so reruns (and the next suite of the same file) never see old documents.
 */
export function realServersEnv(): Record<string, string> {
  realRuns += 1;
  return {
    DOCUMENT_STORE: 'mongodb',
    MONGO_URL: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27027',
    MONGO_DB_PREFIX: `test_${process.pid}_${Date.now()}_${realRuns}_`,
    EVENT_BUS: 'kafka',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  };
}

/**
 * Starts conversation on port 0 over the store and bus its configuration names, as `main.ts`
 * does: embedded ones in a temp directory by default, the real servers with `realServersEnv()`.
 */
export async function startConversation(options: { env?: Record<string, string> } = {}): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'conversation-test-'));
  // The suites leave many answers open on purpose; the per-user cap has its own suite (admission).
  const config = loadConversationConfig({ INTERNAL_SIGNING_SECRET: SECRET, DATA_DIR: dataDir, MAX_OPEN_GENERATIONS_PER_USER: '1000', ...options.env });
  const logger = createLogger({ name: 'conversation', level: 'silent' });
  const reads = new Map<string, number>();
  const store = countingStore(documentStoreFromConfig(config, 'conversation', logger), reads);
  const bus = eventBusFromConfig(config, 'conversation', logger);
  await store.start();
  await bus.start();
  const conversation = buildConversation({ store, bus, config, logger, relayPollMs: 50 });
  const base = await conversation.start(0);
  const url = `${base}/graphql`;
  return {
    conversation,
    url,
    store,
    bus,
    collections: conversationCollections(store),
    reads,
    resetReads: () => reads.clear(),
    gql: (principal, query, variables) => signedGraphQL(url, SECRET, principal, query, variables),
    async dispose() {
      await conversation.stop();
      await bus.stop();
      await store.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Expects success and returns `data[field]`. */
export function ok<T>(res: GraphQLResponse<Record<string, unknown>>, field: string): T {
  if (res.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(res.errors)}`);
  return res.data?.[field] as T;
}

/** The first error's code. */
export function codeOf(res: GraphQLResponse<unknown>): unknown {
  return res.errors?.[0]?.extensions?.code;
}

export interface SentTurn {
  conversation: { id: string; title: string };
  userMessage: { id: string; content: string; parentId: string | null };
  assistantMessage: { id: string; status: string; streamId: string; parentId: string };
  streamId: string;
}

export const TURN_FIELDS = 'conversation { id title } userMessage { id content parentId } assistantMessage { id status streamId parentId } streamId';

export async function send(h: Harness, who: Principal, input: Record<string, unknown>): Promise<SentTurn> {
  return ok<SentTurn>(await h.gql(who, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${TURN_FIELDS} } }`, { input }), 'sendMessage');
}

/** Waits (bounded by iterations, not time assertions) until `check` passes. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, tries = 400): Promise<T> {
  let value = await read();
  for (let i = 0; i < tries && !check(value); i++) {
    await new Promise((r) => setTimeout(r, 10));
    value = await read();
  }
  return value;
}

/**
 * Collects every event of `topics` that occurred from now on, read from the start of the log (a
 * fresh consumer group). On a real Kafka the log also holds earlier runs' events: those are left out.
 */
export async function collectEvents(h: Harness, topics: string[]): Promise<Array<{ topic: string; key: string; event: EventEnvelope }>> {
  const since = Date.now();
  const seen: Array<{ topic: string; key: string; event: EventEnvelope }> = [];
  await h.bus.subscribe({
    groupId: `test-${newId()}`,
    topics,
    handler: async (d) => {
      if (Date.parse(d.event.occurredAt) >= since) seen.push({ topic: d.topic, key: d.key, event: d.event });
    },
  });
  return seen;
}

/** Where a suite runs: how to start conversation, and how long to poll for asynchronous work. */
export interface Target {
  /** Starts conversation, with `env` added to the target's configuration. */
  start(env?: Record<string, string>): Promise<Harness>;
  /** Bounded polling steps (10 ms each, plus the read itself) for the relay and the consumer. */
  tries: number;
  /** Timeout of setup hooks, in ms. */
  hookTimeout: number;
}

/** In-process adapters in a temp directory. */
export const embedded: Target = { start: (env) => startConversation({ env }), tries: 400, hookTimeout: 30_000 };

/** FerretDB + Kafka (`realServersEnv()`), a fresh database per harness. */
export const realServers: Target = {
  async start(env) {
    const h = await startConversation({ env: { ...realServersEnv(), ...env } });
    h.tries = 3000;
    return h;
  },
  // Kafka delivers within a fetch wait (1 s) plus group work; FerretDB answers in ~40 ms.
  tries: 3000,
  hookTimeout: 120_000,
};

/** Publishes an ai-gateway result for a pending assistant message, as ai-gateway would. */
export async function publishResult(h: Harness, ownerId: string, turn: { conversationId: string; messageId: string; streamId: string }, outcome: { content: string } | { error: string }, eventId?: string): Promise<EventEnvelope> {
  const subject = { conversationId: turn.conversationId, messageId: turn.messageId, streamId: turn.streamId, ownerId };
  const options = eventId ? { id: eventId } : {};
  const event =
    'content' in outcome
      ? aiGenerationV1.create('generation.completed', subject, { content: outcome.content, finishReason: 'stop', model: 'local-demo', usage: { promptTokens: 10, completionTokens: 7, totalTokens: 17 } }, options)
      : aiGenerationV1.create('generation.failed', subject, { error: outcome.error }, options);
  await h.bus.publish(aiGenerationV1.topic, [{ key: turn.conversationId, event }]);
  return event;
}

/** The turn's ids as `publishResult` takes them. */
export const idsOf = (t: SentTurn) => ({ conversationId: t.conversation.id, messageId: t.assistantMessage.id, streamId: t.streamId });

/** Completes the turn's answer through the bus and waits until the consumer stored it. */
export async function answer(h: Harness, ownerId: string, t: SentTurn, content: string): Promise<void> {
  await publishResult(h, ownerId, idsOf(t), { content });
  const done = await eventually(() => h.collections.messages.findById(t.assistantMessage.id), (m) => m?.status === 'COMPLETE', h.tries);
  if (done?.status !== 'COMPLETE') throw new Error('the answer was not completed');
}
