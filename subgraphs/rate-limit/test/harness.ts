import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { aiCatalogV1, aiGenerationV1, identityUserV1, MODEL_CATALOG_ID, type EventEnvelope } from '@chatgraph/schema';
import { createLogger, documentStoreFromConfig, eventBusFromConfig, newId, signedGraphQL, type DocumentStore, type EventBus, type GraphQLResponse, type Principal, type UserPrincipal } from '@chatgraph/kit';
import { loadRateLimitConfig } from '../src/config';
import { buildRateLimit, type RateLimit } from '../src/server';
import { rateLimitCollections, type RateLimitCollections } from '../src/store';

export const SECRET = 'rate-limit-test-secret-0123456789abcdef';
export const ANON: Principal = { kind: 'anonymous' };

/** A signed-in user as the router would forward them. */
export function userPrincipal(userId: string, role: 'USER' | 'ADMIN' = 'USER'): UserPrincipal {
  return { kind: 'user', userId, role, via: 'jwt', sessionId: `s-${userId}` };
}

export interface Harness {
  rateLimit: RateLimit;
  url: string;
  store: DocumentStore;
  bus: EventBus;
  collections: RateLimitCollections;
  /** Bounded polling steps for asynchronous work. */
  tries: number;
  gql<T = Record<string, unknown>>(principal: Principal, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  dispose(): Promise<void>;
}

let realRuns = 0;

/** rate-limit on FerretDB + Kafka (`*.real.test.ts`), a database and topic namespace of its own per call. */
export function realServersEnv(): Record<string, string> {
  realRuns += 1;
  const run = `test_${process.pid}_${Date.now()}_${realRuns}_`;
  return {
    DOCUMENT_STORE: 'mongodb',
    MONGO_URL: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27027',
    MONGO_DB_PREFIX: run,
    EVENT_BUS: 'kafka',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    KAFKA_NAMESPACE: `${run}.`,
  };
}

/** Starts rate-limit on port 0 over the adapters its configuration names (embedded in a temp directory by default); `wrapStore` injects faults. */
export async function startRateLimit(env: Record<string, string> = {}, wrapStore: (store: DocumentStore) => DocumentStore = (store) => store): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'rate-limit-test-'));
  const config = loadRateLimitConfig({ INTERNAL_SIGNING_SECRET: SECRET, DATA_DIR: dataDir, ...env });
  const logger = createLogger({ name: 'rate-limit', level: 'silent' });
  const store = wrapStore(documentStoreFromConfig(config, 'rate-limit', logger));
  const bus = eventBusFromConfig(config, 'rate-limit', logger);
  await store.start();
  await bus.start();
  const rateLimit = buildRateLimit({ store, bus, config, logger, relayPollMs: 50 });
  const base = await rateLimit.start(0);
  const url = `${base}/graphql`;
  return {
    rateLimit,
    url,
    store,
    bus,
    collections: rateLimitCollections(store),
    tries: config.EVENT_BUS === 'kafka' ? 3000 : 400,
    gql: (principal, query, variables) => signedGraphQL(url, SECRET, principal, query, variables),
    async dispose() {
      await rateLimit.stop();
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

/** Waits (bounded by iterations, not time assertions) until `check` passes. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, tries = 400): Promise<T> {
  let value = await read();
  for (let i = 0; i < tries && !check(value); i++) {
    await new Promise((r) => setTimeout(r, 10));
    value = await read();
  }
  return value;
}

/** Publishes identity's `user.registered` for `userId`. */
export async function register(h: Harness, userId: string): Promise<void> {
  const event = identityUserV1.create('user.registered', { userId }, { email: `${userId}@example.com`, name: userId, role: 'USER', emailVerified: true });
  await h.bus.publish(identityUserV1.topic, [{ key: userId, event }]);
}

/** Publishes ai-gateway's catalog with `models` priced (US dollars per million tokens). */
export async function publishPrices(h: Harness, models: Array<{ id: string; inputPricePerMTok?: number; outputPricePerMTok?: number }>): Promise<void> {
  const event = aiCatalogV1.create('catalog.published', { catalogId: MODEL_CATALOG_ID }, { models: models.map((m) => ({ contextWindow: 8192, capabilities: ['chat'], ...m })) });
  await h.bus.publish(aiCatalogV1.topic, [{ key: MODEL_CATALOG_ID, event }]);
}

/** A `generation.completed` of `ownerId` (not published). */
export function completion(ownerId: string, model: string, usage: { promptTokens: number; completionTokens: number }): EventEnvelope {
  const subject = { conversationId: newId(), messageId: newId(), streamId: newId(), ownerId };
  return aiGenerationV1.create('generation.completed', subject, { content: 'hi', finishReason: 'stop', model, usage: { ...usage, totalTokens: usage.promptTokens + usage.completionTokens } });
}

/** Publishes `event` on ai.generation.v1 (again, if it was published before: a redelivery). */
export async function deliver(h: Harness, event: EventEnvelope): Promise<void> {
  await h.bus.publish(aiGenerationV1.topic, [{ key: event.subject.conversationId ?? '', event }]);
}

/** The stored balance's credits, or undefined before it is opened. */
export async function creditsOf(h: Harness, userId: string): Promise<number | undefined> {
  return (await h.collections.balances.findById(userId))?.credits;
}
