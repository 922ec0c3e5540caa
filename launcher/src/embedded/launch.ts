import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createLogger, refuseStartUnless, type Logger } from '@chatgraph/kit';
import { createEmbeddedStore, type DocumentStore } from '@chatgraph/kit/store';
import { createEmbeddedEventBus, type EventBus } from '@chatgraph/kit/events';
import { createEmbeddedKv, type KvStore } from '@chatgraph/kit/kv';
import {
  buildRouter,
  loadRouterConfig,
  rateLimitFromConfig,
  routerDepsFromConfig,
  type InProcessSubgraph,
  type Router,
} from '@chatgraph/router';
import { camelCase, type CamelCase, type EmbeddedSubgraph } from '../descriptor';
import { SUBGRAPHS, type ListedSubgraph } from '../subgraphs';
import type { EmbeddedConfig } from './config';

/** Each listed subgraph as built, under its camel-cased name (`identity`, `aiGateway`, ...). */
export type EmbeddedSubgraphs = { readonly [D in ListedSubgraph as CamelCase<D['name']>]: Awaited<ReturnType<D['embedded']>> };

/** A running one-process supergraph. */
export type EmbeddedStack = EmbeddedSubgraphs & {
  /** The router's `/graphql` URL (HTTP and graphql-ws). */
  readonly url: string;
  readonly router: Router;
  /** The event bus every service shares (in-process topics persisted under `<DATA_DIR>/events`). */
  readonly bus: EventBus;
  /** The key-value store every service shares (token streams, the stop channel). */
  readonly kv: KvStore;
  /** The router<->subgraph secret in use (benchmarks call subgraphs directly with it). */
  readonly signingSecret: string;
  /** Router first (drain clients), then subgraphs, then adapters. Safe to call twice. */
  stop(): Promise<void>;
};

/** Adapters to use instead of the embedded ones (benchmarks run the stack on Kafka and Redis); the caller starts and stops them. */
export interface SharedAdapters {
  bus?: EventBus;
  kv?: KvStore;
}

/**
 * Starts every listed subgraph on a free loopback port with embedded adapters under `DATA_DIR` —
 * one event bus and one key-value store shared by all, as Kafka and Redis are in production — then
 * the router composed from their SDL. `env` supplies service-specific settings.
 */
export async function startEmbedded(
  config: EmbeddedConfig,
  env: NodeJS.ProcessEnv = process.env,
  loggerFor: (service: string) => Logger = (name) => createLogger({ name, level: config.LOG_LEVEL }),
  adapters: SharedAdapters = {},
): Promise<EmbeddedStack> {
  const signingSecret = config.INTERNAL_SIGNING_SECRET ?? randomBytes(32).toString('base64url');
  // Embedded adapters whatever the environment says: this is the one-process mode.
  const shared = {
    ...env,
    INTERNAL_SIGNING_SECRET: signingSecret,
    DATA_DIR: config.DATA_DIR,
    LOG_LEVEL: config.LOG_LEVEL,
    DOCUMENT_STORE: 'embedded',
    EVENT_BUS: 'embedded',
    KV_STORE: 'embedded',
  };
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  const stores: Array<{ service: string; dataDir: string; store: DocumentStore }> = [];
  const storeFor = async (service: string, dataDir: string, logger: Logger): Promise<DocumentStore> => {
    const store = createEmbeddedStore({ dataDir, logger });
    await refuseStartUnless(service, `document store (${dataDir})`, () => store.start());
    cleanups.push(() => store.stop());
    stores.push({ service, dataDir, store });
    return store;
  };

  try {
    let bus = adapters.bus;
    if (!bus) {
      const embeddedBus = createEmbeddedEventBus({
        dataDir: path.join(config.DATA_DIR, 'events'),
        logger: loggerFor('event-bus'),
        retention: { retentionMs: config.EVENT_RETENTION_MS, minRecords: config.EVENT_RETENTION_MIN_RECORDS },
      });
      await refuseStartUnless('event bus', `event log (${path.join(config.DATA_DIR, 'events')})`, () => embeddedBus.start());
      cleanups.push(() => embeddedBus.stop());
      bus = embeddedBus;
    }
    let kv = adapters.kv;
    if (!kv) {
      const embeddedKv = createEmbeddedKv({ logger: loggerFor('kv') });
      await embeddedKv.start();
      cleanups.push(() => embeddedKv.stop());
      kv = embeddedKv;
    }

    // Every service is built (registering its collections) and every store checked before anything
    // listens: one service whose store or collection cannot open stops the whole start.
    const built: Array<{ name: string; service: EmbeddedSubgraph }> = [];
    for (const descriptor of SUBGRAPHS) {
      const logger = loggerFor(descriptor.name);
      const dataDir = path.join(config.DATA_DIR, descriptor.name);
      const service = await descriptor.embedded({
        env: { ...shared, [descriptor.portVariable]: '0' },
        logger,
        bus,
        kv,
        dataDir,
        openStore: () => storeFor(descriptor.name, dataDir, logger),
      });
      built.push({ name: descriptor.name, service });
    }
    for (const { service, dataDir, store } of stores) await refuseStartUnless(service, `document store (${dataDir})`, () => store.ping());

    const urls: Array<[string, string]> = [];
    for (const { name, service } of built) {
      urls.push([name, await service.start(0)]);
      cleanups.push(() => service.stop());
    }

    const routerConfig = loadRouterConfig({
      ...shared,
      ROUTER_PORT: String(config.ROUTER_PORT),
      ROUTER_HOST: config.ROUTER_HOST,
      IDENTITY_URL: urls.find(([name]) => name === 'identity')?.[1],
      SUBGRAPH_URLS: urls.map(([name, base]) => `${name}=${base}/graphql`).join(','),
    });
    // The router calls the subgraphs of its own process directly (signed all the same); their HTTP
    // endpoints stay up for health probes, graphql-ws subscriptions and identity's JWKS/API keys.
    const inProcessSubgraphs = new Map<string, InProcessSubgraph>(
      built.map(({ service: { subgraph } }) => [`${subgraph.url}/graphql`, (headers, body) => subgraph.serveInProcess(headers, body)]),
    );
    // The router reads the principal directory identity publishes in the shared kv.
    // Rate limits spend budgets in the shared kv too (RATE_LIMITS=off turns them off).
    const router = buildRouter({
      ...routerDepsFromConfig(routerConfig, loggerFor('router')),
      inProcessSubgraphs,
      principals: kv,
      rateLimit: rateLimitFromConfig(routerConfig, kv),
    });
    const base = await router.start(config.ROUTER_PORT, config.ROUTER_HOST);
    cleanups.push(() => router.stop());

    let stopping: Promise<void> | undefined;
    const subgraphs = Object.fromEntries(built.map(({ name, service }) => [camelCase(name), service])) as unknown as EmbeddedSubgraphs;
    // Upload and download URLs point at the router, whose port is known only now when it was 0.
    if (!env.FILE_PUBLIC_URL) subgraphs.file.setPublicUrl(new URL(base).origin);
    // search's embeddings (SEARCH_EMBEDDINGS=ai-gateway) go to this process's ai-gateway unless AI_GATEWAY_URL names another.
    const aiGatewayUrl = urls.find(([name]) => name === 'ai-gateway')?.[1];
    if (aiGatewayUrl) subgraphs.search.connectAiGateway(aiGatewayUrl);
    return {
      ...subgraphs,
      url: `${base}/graphql`,
      router,
      bus,
      kv,
      signingSecret,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
