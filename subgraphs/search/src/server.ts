import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSubgraph, type Logger, type Subgraph } from '@chatgraph/kit';
import { watchConsumerLag, type EventBus, type Subscription } from '@chatgraph/kit/events';
import type { SearchIndex } from '@chatgraph/kit/search';
import type { SearchConfig } from './config';
import type { SearchContext } from './context';
import { indexingHandler, subscribeIndexing } from './indexing';
import { resolvers } from './resolvers';
import type { Embedder } from './embedding';
import { Reembedding } from './reembedding';
import { SearchService } from './service';

/** The subgraph's SDL file, for composition scripts and tests. */
export const SEARCH_SCHEMA_PATH = path.join(__dirname, 'schema.graphql');

export interface SearchDeps {
  /** Started here (`start()`) and stopped here (`stop()`): search owns its index. */
  index: SearchIndex;
  /** Embeds documents and queries; its `dims` must be the index definition's `vectorDims`. */
  embedder: Embedder;
  /** Not started or stopped here (start it before `start()`, stop it after `stop()`). */
  bus: EventBus;
  config: SearchConfig;
  logger: Logger;
}

export interface Search {
  readonly subgraph: Subgraph;
  readonly service: SearchService;
  readonly index: SearchIndex;
  /** The background pass embedding documents of another model (or pending) again. */
  readonly reembedding: Reembedding;
  /** Starts the index and the indexing consumer, then listens on `port` (default SEARCH_PORT; 0 picks a free one). */
  start(port?: number): Promise<string>;
  /** Drains the subgraph, then the consumer (its event in flight finishes), then stops the index. Safe to call twice. */
  stop(): Promise<void>;
  readonly url: string;
}

/**
 * Builds the search subgraph over the given adapters. Importing this module or calling this
 * function connects, listens and reads nothing; `start()` does.
 */
export function buildSearch(deps: SearchDeps): Search {
  const { config, logger, bus, index, embedder } = deps;
  const service = new SearchService(index, embedder);
  const reembedding = new Reembedding({
    index,
    embedder,
    logger,
    batchSize: config.SEARCH_REEMBED_BATCH,
    intervalMs: config.SEARCH_REEMBED_INTERVAL_MS,
  });
  const subgraph = createSubgraph<SearchContext>({
    name: 'search',
    typeDefs: readFileSync(SEARCH_SCHEMA_PATH, 'utf8'),
    resolvers,
    logger,
    signingSecret: config.INTERNAL_SIGNING_SECRET,
    context: (base) => ({ ...base, search: service }),
    readiness: [
      { name: 'search-index', check: () => index.ping() },
      { name: 'event-bus', check: () => bus.ping() },
    ],
  });
  let subscription: Subscription | undefined;
  let stopping: Promise<void> | undefined;
  return {
    subgraph,
    service,
    index,
    reembedding,
    get url() {
      return subgraph.url;
    },
    async start(port = config.SEARCH_PORT) {
      if (!subscription) {
        await index.start();
        // The consumer writes through the pass's tracker, so its writes win over a step's.
        subscription = await subscribeIndexing(bus, indexingHandler({ index: reembedding.track(index), embedder, logger }));
        reembedding.start();
        // Consumer lag on /metrics (event_consumer_lag): how far the index is behind conversation.
        watchConsumerLag(subgraph.metrics.registry, subscription);
      }
      return subgraph.start(port, config.SEARCH_HOST);
    },
    stop() {
      stopping ??= (async () => {
        await subgraph.stop();
        await subscription?.stop();
        await reembedding.stop();
        await index.stop();
      })();
      return stopping;
    },
  };
}
