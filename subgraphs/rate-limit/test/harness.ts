import { aiCatalogV1, aiGenerationV1, identityUserV1, MODEL_CATALOG_ID, type EventEnvelope } from '@chatgraph/schema';
import { createLogger, newId } from '@chatgraph/kit';
import { documentStoreFromConfig, type DocumentStore } from '@chatgraph/kit/store';
import { eventBusFromConfig, type EventBus } from '@chatgraph/kit/events';
import { eventually, interceptStore, realServersEnv as realEnv, startSubgraph, type SubgraphHarness } from '@chatgraph/test-support';
import { loadRateLimitConfig } from '../src/config';
import { ModelPrices } from '../src/modelPrices';
import { buildRateLimit, type RateLimit } from '../src/server';
import { rateLimitCollections, type RateLimitCollections } from '../src/store';

export { ANON, codeOf, eventually, ok, userPrincipal } from '@chatgraph/test-support';

export const SECRET = 'rate-limit-test-secret-0123456789abcdef';

export interface Harness extends SubgraphHarness<RateLimit> {
  rateLimit: RateLimit;
  store: DocumentStore;
  bus: EventBus;
  collections: RateLimitCollections;
}

/** rate-limit on FerretDB + Kafka (`*.real.test.ts`), a database and topic namespace of its own per call. */
export const realServersEnv = (): Record<string, string> => realEnv({ documentStore: true, eventBus: 'own-topics' });

/** Starts rate-limit on port 0 over the adapters its configuration names (embedded in a temp directory by default); `wrapStore` injects faults. */
export async function startRateLimit(
  env: Record<string, string> = {},
  wrapStore: (store: DocumentStore) => DocumentStore = (store) => store,
): Promise<Harness> {
  const h = await startSubgraph({
    name: 'rate-limit',
    secret: SECRET,
    tries: env.EVENT_BUS === 'kafka' ? 3000 : 400,
    setup(dataDir) {
      const config = loadRateLimitConfig({ INTERNAL_SIGNING_SECRET: SECRET, DATA_DIR: dataDir, ...env });
      const logger = createLogger({ name: 'rate-limit', level: 'silent' });
      const store = wrapStore(documentStoreFromConfig(config, 'rate-limit', logger));
      const bus = eventBusFromConfig(config, 'rate-limit', logger);
      return { store, bus, adapters: [store, bus], build: () => buildRateLimit({ store, bus, config, logger, relayPollMs: 50 }) };
    },
  });
  const { store, bus } = h.parts;
  return { ...h, rateLimit: h.service, store, bus, collections: rateLimitCollections(store) };
}

/** Publishes identity's `user.registered` for `userId`. */
export async function register(h: Harness, userId: string): Promise<void> {
  const event = identityUserV1.create(
    'user.registered',
    { userId },
    { email: `${userId}@example.com`, name: userId, role: 'USER', emailVerified: true },
  );
  await h.bus.publish(identityUserV1.topic, [{ key: userId, event }]);
}

/** Publishes ai-gateway's catalog with `models` priced (US dollars per million tokens). */
export async function publishPrices(
  h: Harness,
  models: Array<{ id: string; inputPricePerMTok?: number; outputPricePerMTok?: number }>,
): Promise<void> {
  const event = aiCatalogV1.create(
    'catalog.published',
    { catalogId: MODEL_CATALOG_ID },
    { models: models.map((m) => ({ contextWindow: 8192, capabilities: ['chat'], ...m })) },
  );
  await h.bus.publish(aiCatalogV1.topic, [{ key: MODEL_CATALOG_ID, event }]);
}

/** A `generation.completed` of `ownerId` (not published). */
export function completion(ownerId: string, model: string, usage: { promptTokens: number; completionTokens: number }): EventEnvelope {
  const subject = { conversationId: newId(), messageId: newId(), streamId: newId(), ownerId };
  return aiGenerationV1.create('generation.completed', subject, {
    content: 'hi',
    finishReason: 'stop',
    model,
    usage: { ...usage, totalTokens: usage.promptTokens + usage.completionTokens },
  });
}

/** Publishes `event` on ai.generation.v1 (again, if it was published before: a redelivery). */
export async function deliver(h: Harness, event: EventEnvelope): Promise<void> {
  await h.bus.publish(aiGenerationV1.topic, [{ key: event.subject.conversationId ?? '', event }]);
}

/** The stored balance's credits, or undefined before it is opened. */
export async function creditsOf(h: Harness, userId: string): Promise<number | undefined> {
  return (await h.collections.balances.findById(userId))?.credits;
}

/** A store whose ledger fails the first `findOneAndUpdate` (marking an entry applied), after the balance was debited. */
export function failingOnce(inner: DocumentStore, failures: { left: number }): DocumentStore {
  return interceptStore(inner, (collection, method, _args, call) => {
    if (collection !== 'credit_ledger' || method !== 'findOneAndUpdate' || failures.left <= 0) return call();
    failures.left -= 1;
    return Promise.reject(new Error('injected: store failed after the debit'));
  });
}

/** 1,000 credits = $0.001: a model at $3 / $15 per million tokens costs 3 credits per prompt token, 15 per completion token. */
export const PRICED = { id: 'priced', inputPricePerMTok: 3, outputPricePerMTok: 15 };

/** Prices published, `userId` registered with 10,000 credits, both consumed. */
export async function ready(h: Harness, userId: string): Promise<void> {
  await publishPrices(h, [PRICED, { id: 'free', inputPricePerMTok: 0, outputPricePerMTok: 0 }, { id: 'unpriced' }]);
  await register(h, userId);
  await eventually(
    () => creditsOf(h, userId),
    (c) => c === 10_000,
    h.tries,
  );
  // The catalog consumer runs in its own group: wait until the prices are stored.
  const prices = new ModelPrices(h.store);
  await eventually(
    () => prices.priceOf(PRICED.id),
    (p) => p !== null,
    h.tries,
  );
}
