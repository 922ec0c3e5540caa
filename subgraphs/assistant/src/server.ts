import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSubgraph, refuseStartUnless, type Logger, type Subgraph } from '@chatgraph/kit';
import type { DocumentStore } from '@chatgraph/kit/store';
import {
  KnownFiles,
  knownFilesHandler,
  modelCatalogHandler,
  ModelCatalogView,
  subscribeKnownFiles,
  subscribeModelCatalog,
} from '@chatgraph/kit/read-models';
import { OutboxRelay, watchConsumerLag, type EventBus, type OutboxHint, type Subscription } from '@chatgraph/kit/events';
import type { AssistantConfig } from './config';
import type { AssistantContext } from './context';
import { resolvers } from './resolvers';
import { AssistantService } from './service';
import { assistantCollections } from './store';
import { subscribeUserDeletion, userDeletionHandler } from './userDeletion';

/**
 * Knowledge files: the owner's, uploaded for assistants or as chat attachments, accepted while
 * still being processed (`file_search` finds them once chunked); refused when unknown (or someone
 * else's), failed or deleted, or an avatar.
 */
export const KNOWLEDGE_FILES = {
  collection: 'knowledge_files',
  purposes: ['ASSISTANT_KNOWLEDGE', 'MESSAGE_ATTACHMENT'] as const,
  wrongPurpose: { reason: 'NOT_KNOWLEDGE', why: () => 'is an avatar, not a document or image an assistant can use' },
  acceptProcessing: true,
};
/** The consumer group that keeps the model catalog read model. */
export const ASSISTANT_CATALOG_GROUP = 'assistant.model-catalog';
/** The consumer group that keeps the knowledge files read model. */
export const ASSISTANT_FILES_GROUP = 'assistant.files';

/** The subgraph's SDL file, for composition scripts and tests. */
export const ASSISTANT_SCHEMA_PATH = path.join(__dirname, 'schema.graphql');

export interface AssistantDeps {
  /** Not started or stopped here: the caller owns the store's lifecycle (start it before `start()`). */
  store: DocumentStore;
  /** Not started or stopped here either (start it before `start()`, stop it after `stop()`). */
  bus: EventBus;
  config: AssistantConfig;
  logger: Logger;
  /** The clock; defaults to the system clock. */
  now?: () => Date;
  /** Outbox relay poll interval (default 1 s); the relay is also woken after every local write. */
  relayPollMs?: number;
}

export interface Assistant {
  readonly subgraph: Subgraph;
  readonly service: AssistantService;
  readonly relay: OutboxRelay;
  /** Starts the relay and the account-deletion consumer, then listens on `port` (default ASSISTANT_PORT; 0 picks a free one). */
  start(port?: number): Promise<string>;
  /** Drains the subgraph, then the consumer (its event in flight finishes), then the relay. Safe to call twice. */
  stop(): Promise<void>;
  readonly url: string;
}

/**
 * Builds the assistant subgraph over the given adapters. Importing this module or calling this
 * function connects, listens and reads nothing; `start()` does.
 */
export function buildAssistant(deps: AssistantDeps): Assistant {
  const { config, logger, store, bus } = deps;
  const now = deps.now ?? (() => new Date());
  const collections = assistantCollections(store);
  const relay = new OutboxRelay({ bus, collections: [collections.assistants], logger, pollIntervalMs: deps.relayPollMs });
  // Each written document named, so the relay fetches it by key; none named asks for a scan.
  const eventsQueued = (...written: OutboxHint[]): void => {
    if (written.length === 0) relay.notify();
    for (const hint of written) relay.notify(hint);
  };
  const models = new ModelCatalogView(store);
  const files = new KnownFiles(store, KNOWLEDGE_FILES);
  const service = new AssistantService({ collections, now, maxPerUser: config.ASSISTANT_MAX_PER_USER, eventsQueued, models, files });
  const subgraph = createSubgraph<AssistantContext>({
    name: 'assistant',
    typeDefs: readFileSync(ASSISTANT_SCHEMA_PATH, 'utf8'),
    resolvers,
    logger,
    signingSecret: config.INTERNAL_SIGNING_SECRET,
    context: (base) => ({ ...base, assistants: service }),
    readiness: [
      { name: 'document-store', check: () => store.ping() },
      { name: 'event-bus', check: () => bus.ping() },
    ],
  });

  let deletions: Subscription | undefined;
  let catalog: Subscription | undefined;
  let fileEvents: Subscription | undefined;
  let stopping: Promise<void> | undefined;
  return {
    subgraph,
    service,
    relay,
    get url() {
      return subgraph.url;
    },
    async start(port = config.ASSISTANT_PORT) {
      // Every collection registered above must have opened: refuse the start rather than serve half a store.
      await refuseStartUnless('assistant', 'document store', () => store.ping());
      relay.start();
      if (!deletions) {
        deletions = await subscribeUserDeletion(bus, userDeletionHandler({ collections, logger, now, eventsQueued }));
        // Consumer lag on /metrics (event_consumer_lag): a backlog of account deletions is visible.
        watchConsumerLag(subgraph.metrics.registry, deletions);
      }
      catalog ??= await subscribeModelCatalog(bus, ASSISTANT_CATALOG_GROUP, modelCatalogHandler(models, logger));
      fileEvents ??= await subscribeKnownFiles(bus, ASSISTANT_FILES_GROUP, knownFilesHandler(files, logger));
      return subgraph.start(port, config.ASSISTANT_HOST);
    },
    stop() {
      stopping ??= (async () => {
        await subgraph.stop();
        await deletions?.stop();
        await catalog?.stop();
        await fileEvents?.stop();
        await relay.stop();
      })();
      return stopping;
    },
  };
}
