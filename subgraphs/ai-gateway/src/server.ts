import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSubgraph, type Logger, type Subgraph, refuseStartUnless } from '@chatgraph/kit';
import type { DocumentStore } from '@chatgraph/kit/store';
import { OutboxRelay, watchConsumerLag, type EventBus, type Subscription } from '@chatgraph/kit/events';
import type { KvStore } from '@chatgraph/kit/kv';
import { principalDirectoryRoles } from './tools/mcpAccess';
import { createMcpToolSources } from './tools/mcpToolSources';
import { createEmbeddedSearchIndex, type SearchIndex } from '@chatgraph/kit/search';
import { attachedFilesHandler, AttachedFiles, subscribeAttachedFiles } from './attachedFiles';
import { builtInCatalog, type ModelCatalog, type ProviderSpec } from './catalog';
import { catalogPublications, publishCatalog } from './catalogPublication';
import type { AiGatewayConfig } from './config';
import type { AiGatewayContext } from './context';
import { DeploymentRegistry } from './deployments';
import { generationRequestHandler, subscribeGenerationRequests } from './events';
import type { ChatProvider } from './providers/types';
import { resolvers } from './resolvers';
import { AiGatewayService, AttachmentResolver, EmbeddingService, GenerationRunner, GenerationScheduler, TitleGenerator } from './service';
import { aiGatewayCollections } from './store';
import { fileChunkIndexDefinition, FileChunks, fileChunksHandler, subscribeFileChunks } from './tools/fileChunks';
import { FileSearchTool } from './tools/fileSearch';
import type { ToolSource } from './tools/types';

export { catalogFromConfig, type ModelCatalog } from './catalog';

/** The subgraph's SDL file, for composition scripts and tests. */
export const AI_GATEWAY_SCHEMA_PATH = path.join(__dirname, 'schema.graphql');

export interface AiGatewayDeps {
  /** Not started or stopped here: the caller owns the store's lifecycle (start it before `start()`). */
  store: DocumentStore;
  /** Not started or stopped here either (start it before `start()`, stop it after `stop()`). */
  bus: EventBus;
  /** The token streams and control channel; started before `start()`, stopped after `stop()` by the caller. */
  kv: KvStore;
  config: AiGatewayConfig;
  logger: Logger;
  /** The model catalog (main.ts loads MODEL_CATALOG_FILE); defaults to the built-in demo catalog. */
  catalog?: ModelCatalog;
  /** The clock; defaults to the system clock (also drives the circuit breakers). */
  now?: () => Date;
  /** Randomness of weighted routing and retry jitter (tests pin it). */
  random?: () => number;
  /** Replaces provider adapters (tests). */
  providerFactory?: (spec: ProviderSpec) => ChatProvider;
  /** Outbox relay poll interval (default 1 s); the relay is also woken after every local write. */
  relayPollMs?: number;
  /**
   * The index of file chunks `file_search` searches (main.ts: `searchIndexFromConfig` with
   * `fileChunkIndexDefinition(FILE_CHUNK_INDEX_NAME)`); started by `start()` and stopped by `stop()`.
   * Defaults to an in-memory embedded index (rebuilt from the topic by a new consumer group only).
   */
  fileChunkIndex?: SearchIndex;
  /**
   * Tool sources besides `file_search` an assistant's tool list may enable; defaults to one per MCP
   * server of `MCP_SERVERS` (closed by `stop()`), with roles read from identity's principal directory.
   */
  toolSources?: readonly ToolSource[];
}

export interface AiGateway {
  readonly subgraph: Subgraph;
  readonly service: AiGatewayService;
  readonly registry: DeploymentRegistry;
  readonly scheduler: GenerationScheduler;
  readonly embeddings: EmbeddingService;
  readonly relay: OutboxRelay;
  /** Starts the relay, the control listener and timers, the request consumer, then listens on `port` (default AI_GATEWAY_PORT; 0 picks a free one). */
  start(port?: number): Promise<string>;
  /** Stops HTTP, then the consumer, drains generations (DRAIN_TIMEOUT_MS), then flushes and stops the relay. Safe to call twice. */
  stop(): Promise<void>;
  readonly url: string;
}

/**
 * Builds ai-gateway over the given adapters. Importing this module or calling this function
 * connects, listens and reads nothing; `start()` does.
 */
export function buildAiGateway(deps: AiGatewayDeps): AiGateway {
  const { config, logger, store, bus, kv } = deps;
  const now = deps.now ?? (() => new Date());
  const catalog = deps.catalog ?? builtInCatalog();
  const collections = aiGatewayCollections(store);
  const publications = catalogPublications(store);
  const relay = new OutboxRelay({ bus, collections: [collections.generations, publications], logger, pollIntervalMs: deps.relayPollMs });
  const eventsQueued = (): void => relay.notify();
  const registry = new DeploymentRegistry({
    catalog,
    demoTokenIntervalMs: config.DEMO_TOKEN_INTERVAL_MS,
    circuit: { failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD, cooldownMs: config.CIRCUIT_COOLDOWN_MS },
    now: () => now().getTime(),
    random: deps.random,
    providerFactory: deps.providerFactory,
  });
  const stream = { maxLen: config.STREAM_MAX_LEN, retentionMs: config.STREAM_RETENTION_MS };
  const titles = new TitleGenerator(registry, logger, config.FIRST_TOKEN_TIMEOUT_MS);
  const files = new AttachedFiles(store);
  const attachments = new AttachmentResolver({
    files,
    registry,
    contextPercent: config.ATTACHMENT_CONTEXT_PERCENT,
    waitMs: config.ATTACHMENT_WAIT_MS,
  });
  const fileChunkIndex =
    deps.fileChunkIndex ?? createEmbeddedSearchIndex({ definition: fileChunkIndexDefinition(config.FILE_CHUNK_INDEX_NAME), logger });
  const fileChunks = new FileChunks(fileChunkIndex, store);
  const mcpSources = deps.toolSources ? [] : createMcpToolSources(config, logger, principalDirectoryRoles(kv));
  const toolSources = deps.toolSources ?? mcpSources;
  const runner = new GenerationRunner({
    kv,
    collections,
    registry,
    titles,
    titlesEnabled: config.TITLES_ENABLED,
    policy: {
      attempts: config.RETRY_ATTEMPTS,
      baseDelayMs: config.RETRY_BASE_DELAY_MS,
      maxDelayMs: config.RETRY_MAX_DELAY_MS,
      firstTokenTimeoutMs: config.FIRST_TOKEN_TIMEOUT_MS,
      idleTimeoutMs: config.IDLE_TIMEOUT_MS,
    },
    stream,
    logger,
    now,
    random: deps.random,
    eventsQueued,
    attachments,
    tools: {
      fileSearch: (scope) => new FileSearchTool(fileChunks, scope, config.FILE_SEARCH_RESULTS),
      sources: toolSources,
      limits: {
        maxRounds: config.TOOL_MAX_ROUNDS,
        budgetMs: config.TOOL_LOOP_BUDGET_MS,
        callTimeoutMs: config.TOOL_CALL_TIMEOUT_MS,
        maxResultChars: config.TOOL_RESULT_MAX_CHARS,
      },
    },
  });
  const scheduler = new GenerationScheduler({
    kv,
    store,
    retentionMs: config.GENERATION_RETENTION_MS,
    collections,
    runner,
    logger,
    now,
    maxConcurrent: config.MAX_CONCURRENT_GENERATIONS,
    maxRunningPerUser: config.MAX_RUNNING_GENERATIONS_PER_USER,
    maxQueued: config.MAX_QUEUED_GENERATIONS,
    leaseMs: config.GENERATION_LEASE_MS,
    heartbeatMs: config.GENERATION_HEARTBEAT_MS,
    sweepMs: config.GENERATION_SWEEP_MS,
    drainTimeoutMs: config.DRAIN_TIMEOUT_MS,
    stream,
    eventsQueued,
  });
  const service = new AiGatewayService(registry);
  const embeddings = new EmbeddingService(registry, logger, config.FIRST_TOKEN_TIMEOUT_MS);
  const subgraph = createSubgraph<AiGatewayContext>({
    name: 'ai-gateway',
    typeDefs: readFileSync(AI_GATEWAY_SCHEMA_PATH, 'utf8'),
    resolvers,
    logger,
    signingSecret: config.INTERNAL_SIGNING_SECRET,
    context: (base) => ({ ...base, aiGateway: service }),
    signedRoutes: [{ method: 'POST', path: '/internal/embeddings', handler: embeddings.handle }],
    readiness: [
      { name: 'document-store', check: () => store.ping() },
      { name: 'event-bus', check: () => bus.ping() },
      { name: 'kv-store', check: () => kv.ping() },
      { name: 'file-chunk-index', check: () => fileChunkIndex.ping() },
    ],
  });
  const handler = generationRequestHandler(store, (event) => scheduler.accept(event));

  let subscription: Subscription | undefined;
  let fileEvents: Subscription | undefined;
  let chunkEvents: Subscription | undefined;
  let stopping: Promise<void> | undefined;

  return {
    subgraph,
    service,
    registry,
    scheduler,
    embeddings,
    relay,
    get url() {
      return subgraph.url;
    },
    async start(port = config.AI_GATEWAY_PORT) {
      // Every collection registered above must have opened: refuse the start rather than serve half a store.
      await refuseStartUnless('ai-gateway', 'document store', () => store.ping());
      relay.start();
      // Other services validate model names against this (ai.catalog.v1). Not fatal: until it is
      // out they keep the catalog they last saw (or accept any model, never having seen one).
      await publishCatalog(publications, catalog, now()).then(eventsQueued, (err: unknown) =>
        logger.warn({ err }, 'model catalog not published'),
      );
      await scheduler.start();
      // Before requests: a restarted instance catches up on files while its first requests arrive.
      fileEvents ??= await subscribeAttachedFiles(bus, attachedFilesHandler(files, logger));
      if (!chunkEvents) {
        await refuseStartUnless('ai-gateway', 'file chunk index', () => fileChunkIndex.start());
        chunkEvents = await subscribeFileChunks(bus, fileChunksHandler(fileChunks, logger));
        watchConsumerLag(subgraph.metrics.registry, chunkEvents);
      }
      if (!subscription) {
        subscription = await subscribeGenerationRequests(bus, handler);
        watchConsumerLag(subgraph.metrics.registry, subscription);
      }
      return subgraph.start(port, config.AI_GATEWAY_HOST);
    },
    stop() {
      stopping ??= (async () => {
        await subgraph.stop();
        // Release a consumer waiting for queue room, so the subscription can stop promptly.
        scheduler.refuseNew();
        await subscription?.stop();
        await fileEvents?.stop();
        await chunkEvents?.stop();
        await scheduler.stop();
        try {
          await relay.drain();
        } catch (error) {
          logger.warn({ err: error }, 'outbox events left pending at shutdown; the next start publishes them');
        }
        await relay.stop();
        await Promise.all(mcpSources.map((source) => source.close()));
        await fileChunkIndex.stop();
      })();
      return stopping;
    },
  };
}
