import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSubgraph, type Logger, type Subgraph } from '@chatgraph/kit';
import type { DocumentStore } from '@chatgraph/kit/store';
import { OutboxRelay, watchConsumerLag, type EventBus, type Subscription } from '@chatgraph/kit/events';
import type { KvStore } from '@chatgraph/kit/kv';
import { BanRegistry, PolicyDirectory } from '@chatgraph/kit/limits';
import type { RateLimitConfig } from './config';
import type { RateLimitContext } from './context';
import { generationChargesHandler, subscribeGenerationCharges } from './generationCharges';
import { Ledger } from './ledger';
import { creditMetrics } from './metrics';
import { ModelPrices, modelPricesHandler, subscribeModelPrices } from './modelPrices';
import { RateLimitPolicies } from './policies';
import { DurablePolicies } from './policiesStore';
import { resolvers } from './resolvers';
import { RateLimitService } from './service';
import { rateLimitCollections } from './store';
import { subscribeUserEvents, userEventsHandler } from './userEvents';

/** The subgraph's SDL file, for composition scripts and tests. */
export const RATE_LIMIT_SCHEMA_PATH = path.join(__dirname, 'schema.graphql');

export interface RateLimitDeps {
  /** Not started or stopped here: the caller owns the store's lifecycle (start it before `start()`). */
  store: DocumentStore;
  /** Not started or stopped here either (start it before `start()`, stop it after `stop()`). */
  bus: EventBus;
  config: RateLimitConfig;
  logger: Logger;
  /** The clock; defaults to the system clock. */
  now?: () => Date;
  /** Outbox relay poll interval (default 1 s); the relay is also woken after every local write. */
  relayPollMs?: number;
  /** The kv the routers share (not started or stopped here): the ADMIN policy and ban fields and `User.limits` use it; without it they are UNAVAILABLE. */
  kv?: KvStore;
  /** How often the kv is checked for lost policy overrides (policiesStore.ts). Default 5000. */
  policiesCheckMs?: number;
}

export interface RateLimit {
  readonly subgraph: Subgraph;
  readonly service: RateLimitService;
  readonly relay: OutboxRelay;
  readonly ledger: Ledger;
  /** Starts the relay and the consumers, then listens on `port` (default RATE_LIMIT_PORT; 0 picks a free one). */
  start(port?: number): Promise<string>;
  /** Drains the subgraph, then the consumers (their events in flight finish), then the relay. Safe to call twice. */
  stop(): Promise<void>;
  readonly url: string;
}

/**
 * Builds the rate-limit subgraph over the given adapters. Importing this module or calling this
 * function connects, listens and reads nothing; `start()` does.
 */
export function buildRateLimit(deps: RateLimitDeps): RateLimit {
  const { config, logger, store, bus } = deps;
  const now = deps.now ?? (() => new Date());
  const collections = rateLimitCollections(store);
  const relay = new OutboxRelay({ bus, collections: [collections.balances], logger, pollIntervalMs: deps.relayPollMs });
  const eventsQueued = (): void => relay.notify();
  const ledger = new Ledger(collections, { startingCredits: config.STARTING_CREDITS, now, eventsQueued });
  const prices = new ModelPrices(store);
  const service = new RateLimitService({ collections, ledger, startingCredits: config.STARTING_CREDITS, now });
  const directory = deps.kv ? new PolicyDirectory({ kv: deps.kv, logger }) : undefined;
  // ADMIN overrides are kept in the document store too, and re-published when the kv lost them.
  const durable =
    deps.kv && directory ? new DurablePolicies({ store, kv: deps.kv, directory, logger, checkMs: deps.policiesCheckMs }) : undefined;
  const limits =
    deps.kv && directory
      ? new RateLimitPolicies({ policies: directory, bans: new BanRegistry({ kv: deps.kv, logger }) }, deps.kv, durable)
      : undefined;
  const subgraph = createSubgraph<RateLimitContext>({
    name: 'rate-limit',
    typeDefs: readFileSync(RATE_LIMIT_SCHEMA_PATH, 'utf8'),
    resolvers,
    logger,
    signingSecret: config.INTERNAL_SIGNING_SECRET,
    context: (base) => ({ ...base, rateLimit: service, limits }),
    readiness: [
      { name: 'document-store', check: () => store.ping() },
      { name: 'event-bus', check: () => bus.ping() },
    ],
  });
  const metrics = creditMetrics(subgraph.metrics.registry);
  const unpriced = { inputPricePerMTok: config.UNPRICED_INPUT_PRICE_PER_MTOK, outputPricePerMTok: config.UNPRICED_OUTPUT_PRICE_PER_MTOK };
  const charges = generationChargesHandler({ ledger, prices, unpriced, logger, onDebited: (credits) => metrics.debited(credits) });

  const subscriptions: Subscription[] = [];
  let started = false;
  let stopping: Promise<void> | undefined;
  return {
    subgraph,
    service,
    relay,
    ledger,
    get url() {
      return subgraph.url;
    },
    async start(port = config.RATE_LIMIT_PORT) {
      relay.start();
      if (!started) {
        started = true;
        // Prices and accounts first, so a debit finds the catalog and the opened balance when they exist.
        subscriptions.push(await subscribeModelPrices(bus, modelPricesHandler(prices, logger)));
        subscriptions.push(await subscribeUserEvents(bus, userEventsHandler({ collections, ledger, logger, now, eventsQueued })));
        const debits = await subscribeGenerationCharges(bus, charges);
        // Consumer lag on /metrics (event_consumer_lag): a debit backlog is visible.
        watchConsumerLag(subgraph.metrics.registry, debits);
        subscriptions.push(debits);
        await durable?.start();
      }
      return subgraph.start(port, config.RATE_LIMIT_HOST);
    },
    stop() {
      stopping ??= (async () => {
        await subgraph.stop();
        await durable?.stop();
        for (const subscription of subscriptions) await subscription.stop();
        await relay.stop();
      })();
      return stopping;
    },
  };
}
