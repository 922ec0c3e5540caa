import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSubgraph, type Logger, type Subgraph } from '@chatgraph/kit';
import type { KvStore } from '@chatgraph/kit/kv';
import { watchConsumerLag, type EventBus, type Subscription } from '@chatgraph/kit/events';
import type { StreamingConfig } from './config';
import type { StreamingContext } from './context';
import { streamingMetrics } from './metrics';
import { resolvers } from './resolvers';
import { StreamingService } from './service';
import { streamEndsHandler, subscribeStreamEnds } from './streamEnds';

/** The subgraph's SDL file, for composition scripts and tests. */
export const STREAMING_SCHEMA_PATH = path.join(__dirname, 'schema.graphql');

export interface StreamingDeps {
  /** Not started or stopped here: the caller owns the store's lifecycle (start it before `start()`, stop it after `stop()`). */
  kv: KvStore;
  /**
   * Not started or stopped here either (start it before `start()`, stop it after `stop()`): where
   * generation outcomes come from and `streaming.stream.v1` goes (streamEnds.ts).
   */
  bus: EventBus;
  config: StreamingConfig;
  logger: Logger;
}

export interface Streaming {
  readonly subgraph: Subgraph;
  readonly service: StreamingService;
  /** Listens on `port` (default STREAMING_PORT; 0 picks a free one). Resolves the base URL. */
  start(port?: number): Promise<string>;
  /**
   * Closes every graphql-ws socket with 1001 (the router resubscribes with `after`, on another
   * instance), drains the subgraph, then ends whatever is left (start waits). Safe to call twice.
   */
  stop(): Promise<void>;
  readonly url: string;
}

/**
 * Builds the streaming subgraph over the given key-value store and event bus. Importing this module or calling
 * this function connects, listens and reads nothing; `start()` does.
 */
export function buildStreaming(deps: StreamingDeps): Streaming {
  const { config, logger, kv, bus } = deps;
  const subgraph = createSubgraph<StreamingContext>({
    name: 'streaming',
    typeDefs: readFileSync(STREAMING_SCHEMA_PATH, 'utf8'),
    resolvers,
    logger,
    signingSecret: config.INTERNAL_SIGNING_SECRET,
    context: (base) => ({ ...base, streaming: service }),
    readiness: [
      { name: 'kv-store', check: () => kv.ping() },
      { name: 'event-bus', check: () => bus.ping() },
    ],
    subscriptionKeepAliveMs: config.SUBSCRIPTION_KEEPALIVE_MS,
  });
  const metrics = streamingMetrics(subgraph.metrics.registry);
  const service = new StreamingService({
    kv,
    logger,
    startWaitMs: config.STREAM_START_WAIT_MS,
    stopRequestTtlMs: config.STOP_REQUEST_TTL_MS,
    onSubscriptionsChanged: (delta) => metrics.subscriptions.inc(delta),
    onGap: (missed) => metrics.skippedChunks.inc(missed),
    finalChunkWaitMs: config.FINAL_CHUNK_WAIT_MS,
    onFinalChunkWaitExpired: () => metrics.finalChunkWaitExpired.inc(1),
  });

  let ends: Subscription | undefined;
  let stopping: Promise<void> | undefined;
  return {
    subgraph,
    service,
    get url() {
      return subgraph.url;
    },
    async start(port = config.STREAMING_PORT) {
      if (!ends) {
        ends = await subscribeStreamEnds(bus, streamEndsHandler({ kv, bus, logger }));
        watchConsumerLag(subgraph.metrics.registry, ends);
      }
      return subgraph.start(port, config.STREAMING_HOST);
    },
    stop() {
      stopping ??= (async () => {
        // Not the other way round: completing the subscriptions first would tell the router the
        // streams ended, whereas a socket closed with 1001 tells it to resume them elsewhere.
        await subgraph.stop();
        service.close();
        await ends?.stop();
      })();
      return stopping;
    },
  };
}
