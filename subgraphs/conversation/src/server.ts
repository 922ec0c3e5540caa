import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSubgraph, type Logger, type Subgraph, refuseStartUnless } from '@chatgraph/kit';
import type { DocumentStore } from '@chatgraph/kit/store';
import { OutboxRelay, watchConsumerLag, type EventBus, type OutboxHint, type Subscription } from '@chatgraph/kit/events';
import type { KvStore } from '@chatgraph/kit/kv';
import type { ConversationConfig } from './config';
import type { ConversationContext } from './context';
import { knownFilesHandler, subscribeKnownFiles } from '@chatgraph/kit/read-models';
import { ATTACHABLE_FILES_GROUP, AttachableFiles } from './attachableFiles';
import { Assistants, assistantsHandler, subscribeAssistants } from './assistants';
import { creditBalancesHandler, CreditBalanceView, subscribeCreditBalances } from './creditBalances';
import { generationResultHandler, subscribeGenerationResults } from './events';
import { MODEL_CATALOG_GROUP, modelCatalogHandler, ModelCatalogView, subscribeModelCatalog } from './modelCatalog';
import { outcomeAppliedMarker } from './outcomeApplied';
import { streamRequestRecorder } from './streamRequested';
import { resolvers } from './resolvers';
import { ConversationService } from './service';
import { conversationCollections } from './store';
import { subscribeUserDeletion, userDeletionHandler } from './userDeletion';

/** The subgraph's SDL file, for composition scripts and tests. */
export const CONVERSATION_SCHEMA_PATH = path.join(__dirname, 'schema.graphql');

export interface ConversationDeps {
  /** Not started or stopped here: the caller owns the store's lifecycle (start it before `start()`). */
  store: DocumentStore;
  /** Not started or stopped here either (start it before `start()`, stop it after `stop()`). */
  bus: EventBus;
  /**
   * The key-value store shared with streaming (not started or stopped here): conversation marks
   * each applied generation outcome there, and streaming releases the final chunk on that mark.
   * Without it (unit tests) nothing is marked and streaming releases after FINAL_CHUNK_WAIT_MS.
   */
  kv?: KvStore;
  config: ConversationConfig;
  logger: Logger;
  /** The clock; defaults to the system clock. */
  now?: () => Date;
  /** Outbox relay poll interval (default 1 s); the relay is also woken after every local write. */
  relayPollMs?: number;
  /** Interval of the relay's scans nobody asked for (default 10 x `relayPollMs`); tests set it long to count the asked-for ones. */
  relayScanIntervalMs?: number;
}

export interface Conversation {
  readonly subgraph: Subgraph;
  readonly service: ConversationService;
  readonly relay: OutboxRelay;
  /** Starts the relay and the generation-result consumer, then listens on `port` (default CONVERSATION_PORT; 0 picks a free one). */
  start(port?: number): Promise<string>;
  /** Drains the subgraph, then the consumer (its event in flight finishes), then the relay. Safe to call twice. */
  stop(): Promise<void>;
  readonly url: string;
}

/**
 * Builds the conversation subgraph over the given adapters. Importing this module or calling this
 * function connects, listens and reads nothing; `start()` does.
 */
export function buildConversation(deps: ConversationDeps): Conversation {
  const { config, logger, store, bus } = deps;
  const now = deps.now ?? (() => new Date());
  const collections = conversationCollections(store);
  const relay = new OutboxRelay({
    bus,
    collections: [collections.conversations, collections.messages, collections.shares],
    logger,
    pollIntervalMs: deps.relayPollMs,
    scanIntervalMs: deps.relayScanIntervalMs,
  });
  // Each written document named, so the relay fetches it by key; none named asks for a scan.
  const eventsQueued = (...written: OutboxHint[]): void => {
    if (written.length === 0) relay.notify();
    for (const hint of written) relay.notify(hint);
  };
  const models = new ModelCatalogView(store);
  const balances = new CreditBalanceView(store);
  const files = new AttachableFiles(store);
  const assistants = new Assistants(store);
  const service = new ConversationService({
    collections,
    defaultModel: config.DEFAULT_MODEL,
    contextTokenBudget: config.CONTEXT_TOKEN_BUDGET,
    modelContextWindows: config.MODEL_CONTEXT_WINDOWS,
    contextReplyReserveTokens: config.CONTEXT_REPLY_RESERVE_TOKENS,
    admission: {
      maxOpenPerUser: config.MAX_OPEN_GENERATIONS_PER_USER,
      maxPending: config.MAX_PENDING_GENERATIONS,
      staleAfterMs: config.OPEN_GENERATION_STALE_MS,
    },
    now,
    eventsQueued,
    models,
    creditCheck: config.BALANCE_ENFORCED ? balances.check : undefined,
    files,
    assistants,
    streamRequested: deps.kv ? streamRequestRecorder({ kv: deps.kv, ttlMs: config.OUTCOME_MARKER_TTL_MS, logger }) : undefined,
  });
  const subgraph = createSubgraph<ConversationContext>({
    name: 'conversation',
    typeDefs: readFileSync(CONVERSATION_SCHEMA_PATH, 'utf8'),
    resolvers,
    logger,
    signingSecret: config.INTERNAL_SIGNING_SECRET,
    context: (base) => ({ ...base, conversation: service }),
    readiness: [
      { name: 'document-store', check: () => store.ping() },
      { name: 'event-bus', check: () => bus.ping() },
    ],
  });
  const afterHandled = deps.kv ? outcomeAppliedMarker({ kv: deps.kv, ttlMs: config.OUTCOME_MARKER_TTL_MS, logger }) : undefined;
  const handler = generationResultHandler({ store, collections, logger, now, eventsQueued, afterHandled });

  let subscription: Subscription | undefined;
  let deletions: Subscription | undefined;
  let catalog: Subscription | undefined;
  let credits: Subscription | undefined;
  let fileEvents: Subscription | undefined;
  let assistantEvents: Subscription | undefined;
  let stopping: Promise<void> | undefined;

  return {
    subgraph,
    service,
    relay,
    get url() {
      return subgraph.url;
    },
    async start(port = config.CONVERSATION_PORT) {
      // Every collection registered above must have opened: refuse the start rather than serve half a store.
      await refuseStartUnless('conversation', 'document store', () => store.ping());
      relay.start();
      if (!subscription) {
        subscription = await subscribeGenerationResults(bus, handler);
        // Consumer lag on /metrics (event_consumer_lag): a completion backlog is visible.
        watchConsumerLag(subgraph.metrics.registry, subscription);
      }
      deletions ??= await subscribeUserDeletion(bus, userDeletionHandler({ collections, logger, now, eventsQueued }));
      catalog ??= await subscribeModelCatalog(bus, MODEL_CATALOG_GROUP, modelCatalogHandler(models, logger));
      // Kept up to date even with BALANCE_ENFORCED off, so turning it on finds current balances.
      credits ??= await subscribeCreditBalances(bus, creditBalancesHandler(balances, logger));
      fileEvents ??= await subscribeKnownFiles(bus, ATTACHABLE_FILES_GROUP, knownFilesHandler(files, logger));
      assistantEvents ??= await subscribeAssistants(bus, assistantsHandler(assistants, logger));
      return subgraph.start(port, config.CONVERSATION_HOST);
    },
    stop() {
      stopping ??= (async () => {
        await subgraph.stop();
        await subscription?.stop();
        await deletions?.stop();
        await catalog?.stop();
        await credits?.stop();
        await fileEvents?.stop();
        await assistantEvents?.stop();
        await relay.stop();
      })();
      return stopping;
    },
  };
}
