import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createEmbeddedEventBus, createEmbeddedKv, createEmbeddedStore, createLogger, createMailer, refuseStartUnless, type DocumentStore, type EventBus, type KvStore, type Logger } from '@chatgraph/kit';
import { loadAiGatewayConfig } from '@chatgraph/ai-gateway/src/config';
import { buildAiGateway, catalogFromConfig, type AiGateway } from '@chatgraph/ai-gateway/src/server';
import { loadConversationConfig } from '@chatgraph/conversation/src/config';
import { buildConversation, type Conversation } from '@chatgraph/conversation/src/server';
import { loadIdentityConfig } from '@chatgraph/identity/src/config';
import { buildIdentity, type Identity } from '@chatgraph/identity/src/server';
import { loadRateLimitConfig } from '@chatgraph/rate-limit/src/config';
import { buildRateLimit, type RateLimit } from '@chatgraph/rate-limit/src/server';
import { loadStreamingConfig } from '@chatgraph/streaming/src/config';
import { buildStreaming, type Streaming } from '@chatgraph/streaming/src/server';
import { buildRouter, loadRouterConfig, routerDepsFromConfig, type InProcessSubgraph, type Router } from '../index';
import { rateLimitFromConfig } from '../rateLimit';
import type { EmbeddedConfig } from './config';

/** A running one-process supergraph. */
export interface EmbeddedStack {
  /** The router's `/graphql` URL (HTTP and graphql-ws). */
  readonly url: string;
  readonly router: Router;
  readonly identity: Identity;
  readonly conversation: Conversation;
  readonly aiGateway: AiGateway;
  readonly streaming: Streaming;
  readonly rateLimit: RateLimit;
  /** The event bus every service shares (in-process topics persisted under `<DATA_DIR>/events`). */
  readonly bus: EventBus;
  /** The key-value store every service shares (token streams, the stop channel). */
  readonly kv: KvStore;
  /** The router<->subgraph secret in use (benchmarks call subgraphs directly with it). */
  readonly signingSecret: string;
  /** Router first (drain clients), then subgraphs, then adapters. Safe to call twice. */
  stop(): Promise<void>;
}

/** Adapters to use instead of the embedded ones (benchmarks run the stack on Kafka and Redis); the caller starts and stops them. */
export interface SharedAdapters {
  bus?: EventBus;
  kv?: KvStore;
}

/**
 * Starts every subgraph on a free loopback port with embedded adapters under `DATA_DIR` — one
 * event bus and one key-value store shared by all, as Kafka and Redis are in production — then
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
  const shared = { ...env, INTERNAL_SIGNING_SECRET: signingSecret, DATA_DIR: config.DATA_DIR, LOG_LEVEL: config.LOG_LEVEL, DOCUMENT_STORE: 'embedded', EVENT_BUS: 'embedded', KV_STORE: 'embedded' };
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  const stores: Array<{ service: string; dataDir: string; store: DocumentStore }> = [];
  const storeFor = async (service: string, logger: Logger): Promise<DocumentStore> => {
    const dataDir = path.join(config.DATA_DIR, service);
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
    const identityConfig = loadIdentityConfig({ ...shared, IDENTITY_PORT: '0' });
    const identityLog = loggerFor('identity');
    const identityStore = await storeFor('identity', identityLog);
    const mailer = createMailer({ kind: 'file', dataDir: path.join(config.DATA_DIR, 'identity'), from: identityConfig.MAIL_FROM, logger: identityLog });
    const identity = buildIdentity({ store: identityStore, mailer, config: identityConfig, logger: identityLog, kv, bus });

    const conversationLog = loggerFor('conversation');
    const conversation = buildConversation({ store: await storeFor('conversation', conversationLog), bus, kv, config: loadConversationConfig({ ...shared, CONVERSATION_PORT: '0' }), logger: conversationLog });

    const aiGatewayLog = loggerFor('ai-gateway');
    const aiGatewayConfig = loadAiGatewayConfig({ ...shared, AI_GATEWAY_PORT: '0' });
    const aiGateway = buildAiGateway({
      store: await storeFor('ai-gateway', aiGatewayLog),
      bus,
      kv,
      config: aiGatewayConfig,
      catalog: catalogFromConfig(aiGatewayConfig, shared),
      logger: aiGatewayLog,
    });

    const streaming = buildStreaming({ kv, config: loadStreamingConfig({ ...shared, STREAMING_PORT: '0' }), logger: loggerFor('streaming') });

    for (const { service, dataDir, store } of stores) await refuseStartUnless(service, `document store (${dataDir})`, () => store.ping());

    const identityUrl = await identity.start(0);
    cleanups.push(() => identity.stop());
    const conversationUrl = await conversation.start(0);
    cleanups.push(() => conversation.stop());
    const aiGatewayUrl = await aiGateway.start(0);
    cleanups.push(() => aiGateway.stop());
    const streamingUrl = await streaming.start(0);
    cleanups.push(() => streaming.stop());

    const rateLimitLog = loggerFor('rate-limit');
    const rateLimit = buildRateLimit({ store: await storeFor('rate-limit', rateLimitLog), bus, kv, config: loadRateLimitConfig({ ...shared, RATE_LIMIT_PORT: '0' }), logger: rateLimitLog });
    const rateLimitUrl = await rateLimit.start(0);
    cleanups.push(() => rateLimit.stop());

    const subgraphs = { identity: identityUrl, conversation: conversationUrl, 'ai-gateway': aiGatewayUrl, streaming: streamingUrl, 'rate-limit': rateLimitUrl };
    const routerConfig = loadRouterConfig({
      ...shared,
      ROUTER_PORT: String(config.ROUTER_PORT),
      ROUTER_HOST: config.ROUTER_HOST,
      IDENTITY_URL: identityUrl,
      SUBGRAPH_URLS: Object.entries(subgraphs)
        .map(([name, base]) => `${name}=${base}/graphql`)
        .join(','),
    });
    // The router calls the subgraphs of its own process directly (signed all the same); their HTTP
    // endpoints stay up for health probes, graphql-ws subscriptions and identity's JWKS/API keys.
    const inProcessSubgraphs = new Map<string, InProcessSubgraph>(
      [identity, conversation, aiGateway, streaming, rateLimit].map(({ subgraph }) => [`${subgraph.url}/graphql`, (headers, body) => subgraph.serveInProcess(headers, body)]),
    );
    // The router reads the principal directory identity publishes in the shared kv.
    // Rate limits spend budgets in the shared kv too (RATE_LIMITS=off turns them off).
    const router = buildRouter({ ...routerDepsFromConfig(routerConfig, loggerFor('router')), inProcessSubgraphs, principals: kv, rateLimit: rateLimitFromConfig(routerConfig, kv) });
    const base = await router.start(config.ROUTER_PORT, config.ROUTER_HOST);
    cleanups.push(() => router.stop());

    let stopping: Promise<void> | undefined;
    return {
      url: `${base}/graphql`,
      router,
      identity,
      conversation,
      aiGateway,
      streaming,
      rateLimit,
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
