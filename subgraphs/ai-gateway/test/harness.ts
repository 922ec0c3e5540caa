import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmbeddedKv, createLogger, documentStoreFromConfig, eventBusFromConfig, kvStoreFromConfig, newId, signedGraphQL, type DocumentStore, type EventBus, type GraphQLResponse, type KvStore, type Principal, type UserPrincipal } from '@chatgraph/kit';
import { aiGenerationV1, decodeTokenStreamEntry, tokenStreamKey, type EventEnvelope, type TokenStreamEntry } from '@chatgraph/schema';
import { builtInCatalog, parseCatalog, type ModelCatalog, type ProviderSpec } from '../src/catalog';
import { loadAiGatewayConfig } from '../src/config';
import { defaultProvider } from '../src/deployments';
import type { ChatProvider } from '../src/providers/types';
import { buildAiGateway, type AiGateway } from '../src/server';
import { aiGatewayCollections, type AiGatewayCollections } from '../src/store';
import { GatedProvider } from './support/gatedProvider';

export const SECRET = 'ai-gateway-test-secret-0123456789abcdef';
export const ANON: Principal = { kind: 'anonymous' };

export function userPrincipal(userId: string, role: 'USER' | 'ADMIN' = 'USER'): UserPrincipal {
  return { kind: 'user', userId, role, via: 'jwt', sessionId: `s-${userId}` };
}

/**
 * The test catalog: the built-in demo model plus `gated`, served by a `GatedProvider` (streams
 * two chunks, then waits until aborted) so stop and drain tests act mid-stream deterministically.
 */
export function testCatalog(): ModelCatalog {
  const demo = builtInCatalog();
  return parseCatalog(
    {
      providers: [...demo.providers, { id: 'gated', kind: 'openai', baseURL: 'http://127.0.0.1:9/v1' }],
      models: [...demo.models, { id: 'gated', displayName: 'Gated test model', contextWindow: 4096, capabilities: ['chat'] }],
      routes: { ...demo.routes, gated: [{ provider: 'gated', model: 'gated-1' }] },
      titleModel: demo.titleModel,
      embeddingModel: demo.embeddingModel,
    },
    {},
  );
}

export interface Harness {
  gateway: AiGateway;
  url: string;
  store: DocumentStore;
  bus: EventBus;
  kv: KvStore;
  gated: GatedProvider;
  collections: AiGatewayCollections;
  tries: number;
  gql<T = Record<string, unknown>>(principal: Principal, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  /** Stops the gateway only (adapters stay up, so tests can read what it left). */
  stopGateway(): Promise<void>;
  dispose(): Promise<void>;
}

let realRuns = 0;

/** Real servers from the environment (CI's scripts/infra ports by default), a fresh database and key prefix per call. */
export function realServersEnv(): Record<string, string> {
  realRuns += 1;
  const run = `${process.pid}_${Date.now()}_${realRuns}`;
  return {
    DOCUMENT_STORE: 'mongodb',
    MONGO_URL: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27027',
    MONGO_DB_PREFIX: `test_${run}_`,
    EVENT_BUS: 'kafka',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    // Fresh topics and groups: the consumer never replays other suites' generation requests.
    KAFKA_NAMESPACE: `test_${run}.`,
    KV_STORE: 'redis',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6390',
    REDIS_KEY_PREFIX: `test_${run}:`,
  };
}

/** Starts ai-gateway on port 0 over the adapters its configuration names (embedded ones in a temp dir by default). */
export async function startAiGateway(
  options: { env?: Record<string, string>; catalog?: ModelCatalog; providerFactory?: (spec: ProviderSpec) => ChatProvider; sharedWith?: Harness; wrapKv?: (kv: KvStore) => KvStore } = {},
): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ai-gateway-test-'));
  const config = loadAiGatewayConfig({ INTERNAL_SIGNING_SECRET: SECRET, DATA_DIR: dataDir, DEMO_TOKEN_INTERVAL_MS: '0', RETRY_BASE_DELAY_MS: '1', RETRY_MAX_DELAY_MS: '2', ...options.env });
  const logger = createLogger({ name: 'ai-gateway', level: 'silent' });
  // A second instance (`sharedWith`) runs on the first one's adapters and leaves them to it.
  const shared = options.sharedWith;
  const store = shared?.store ?? documentStoreFromConfig(config, 'ai-gateway', logger);
  const bus = shared?.bus ?? eventBusFromConfig(config, 'ai-gateway', logger);
  const kv = shared?.kv ?? (config.KV_STORE === 'redis' ? kvStoreFromConfig(config, logger) : createEmbeddedKv({ logger }));
  // Started in order; if one cannot start (a real server unreachable), the others are stopped so
  // the suite fails with that server's error instead of hanging on open connections.
  const started: Array<() => Promise<void>> = [];
  try {
    for (const adapter of shared ? [] : [store, bus, kv]) {
      await adapter.start();
      started.unshift(() => adapter.stop());
    }
  } catch (error) {
    for (const stop of started) await stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const gated = new GatedProvider('gated');
  const providerFactory = options.providerFactory ?? ((spec: ProviderSpec) => (spec.id === 'gated' ? gated : defaultProvider(spec, config.DEMO_TOKEN_INTERVAL_MS)));
  const gateway = buildAiGateway({ store, bus, kv: options.wrapKv ? options.wrapKv(kv) : kv, config, logger, catalog: options.catalog ?? testCatalog(), providerFactory, relayPollMs: 50 });
  const base = await gateway.start(0);
  const url = `${base}/graphql`;
  return {
    gateway,
    url,
    store,
    bus,
    kv,
    gated,
    collections: aiGatewayCollections(store),
    tries: 400,
    gql: (principal, query, variables) => signedGraphQL(url, SECRET, principal, query, variables),
    stopGateway: () => gateway.stop(),
    async dispose() {
      await gateway.stop();
      if (shared) return rm(dataDir, { recursive: true, force: true });
      await kv.stop();
      await bus.stop();
      await store.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits (bounded by iterations, never asserting on time) until `check` passes. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, tries = 400): Promise<T> {
  let value = await read();
  for (let i = 0; i < tries && !check(value); i++) {
    await new Promise((r) => setTimeout(r, 10));
    value = await read();
  }
  return value;
}

export interface CollectedEvent {
  topic: string;
  key: string;
  event: EventEnvelope;
}

/** Every event of ai.generation.v1 from now on (a fresh group; older events of a real Kafka are left out). */
export async function collectEvents(h: Harness): Promise<CollectedEvent[]> {
  const since = Date.now() - 1000;
  const seen: CollectedEvent[] = [];
  await h.bus.subscribe({
    groupId: `test-${newId()}`,
    topics: [aiGenerationV1.topic],
    handler: async (d) => {
      if (Date.parse(d.event.occurredAt) >= since) seen.push({ topic: d.topic, key: d.key, event: d.event });
    },
  });
  return seen;
}

/** A fresh request's subject. */
export function newSubject(ownerId = `u-${newId()}`): { conversationId: string; messageId: string; streamId: string; ownerId: string } {
  return { conversationId: `c-${newId()}`, messageId: `m-${newId()}`, streamId: `s-${newId()}`, ownerId };
}

/** Publishes `generation.requested` as conversation would. */
export async function requestGeneration(h: Harness, subject: ReturnType<typeof newSubject>, options: { model?: string; prompt?: string; generateTitle?: boolean; eventId?: string } = {}): Promise<EventEnvelope> {
  const payload = {
    model: options.model ?? 'local-demo',
    messages: [
      { role: 'SYSTEM' as const, content: 'You are helpful.' },
      { role: 'USER' as const, content: options.prompt ?? 'What is the capital of France?' },
    ],
    droppedMessages: 0,
    estimatedPromptTokens: 12,
    ...(options.generateTitle !== undefined ? { generateTitle: options.generateTitle } : {}),
  };
  const event = aiGenerationV1.create('generation.requested', subject, payload, options.eventId ? { id: options.eventId } : {});
  await h.bus.publish(aiGenerationV1.topic, [{ key: subject.conversationId, event }]);
  return event;
}

/** The stream's entries, decoded, with their seq. */
export async function readStream(kv: KvStore, streamId: string): Promise<Array<{ seq: number; entry: TokenStreamEntry }>> {
  return (await kv.read(tokenStreamKey(streamId))).map((e) => ({ seq: e.seq, entry: decodeTokenStreamEntry(e.fields) }));
}

/** Events of one stream, of the given type. */
export function eventsOf(events: CollectedEvent[], streamId: string, type?: string): EventEnvelope[] {
  return events.filter((e) => (e.event.subject as { streamId?: string }).streamId === streamId && (type === undefined || e.event.type === type)).map((e) => e.event);
}

export interface Target {
  start(env?: Record<string, string>): Promise<Harness>;
  tries: number;
  hookTimeout: number;
}

export const embedded: Target = { start: (env) => startAiGateway({ env }), tries: 400, hookTimeout: 30_000 };

export const realServers: Target = {
  async start(env) {
    const h = await startAiGateway({ env: { ...realServersEnv(), ...env } });
    h.tries = 3000;
    return h;
  },
  tries: 3000,
  hookTimeout: 120_000,
};
