import { createLogger, newId } from '@chatgraph/kit';
import { documentStoreFromConfig, type DocumentStore } from '@chatgraph/kit/store';
import { eventBusFromConfig, type EventBus } from '@chatgraph/kit/events';
import { createEmbeddedKv, kvStoreFromConfig, type KvStore } from '@chatgraph/kit/kv';
import { aiGenerationV1, decodeTokenStreamEntry, tokenStreamKey, type EventEnvelope, type TokenStreamEntry } from '@chatgraph/schema';
import {
  collectEvents as collect,
  embeddedTarget,
  realServersEnv as realEnv,
  realTarget,
  startSubgraph,
  type CollectedEvent,
  type SubgraphHarness,
  type Target as SharedTarget,
} from '@chatgraph/test-support';
import { builtInCatalog, parseCatalog, type ModelCatalog, type ProviderSpec } from '../src/catalog';
import { loadAiGatewayConfig } from '../src/config';
import { defaultProvider } from '../src/deployments';
import type { ChatProvider } from '../src/providers/types';
import { buildAiGateway, type AiGateway } from '../src/server';
import { aiGatewayCollections, type AiGatewayCollections } from '../src/store';
import type { ToolSource } from '../src/tools/types';
import type { SearchIndex } from '@chatgraph/kit/search';
import { GatedProvider } from './support/gatedProvider';

export { ANON, eventually, userPrincipal, type CollectedEvent } from '@chatgraph/test-support';

export const SECRET = 'ai-gateway-test-secret-0123456789abcdef';

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

export interface Harness extends SubgraphHarness<AiGateway> {
  gateway: AiGateway;
  store: DocumentStore;
  bus: EventBus;
  kv: KvStore;
  gated: GatedProvider;
  collections: AiGatewayCollections;
  /** Stops the gateway only (adapters stay up, so tests can read what it left). */
  stopGateway(): Promise<void>;
}

/** Real servers (REAL_SERVERS), a fresh database, topic namespace (no replay of other suites' requests) and key prefix per call. */
export const realServersEnv = (): Record<string, string> => realEnv({ documentStore: true, eventBus: 'own-topics', kv: true });

/** Starts ai-gateway on port 0 over the adapters its configuration names (embedded ones in a temp dir by default). */
export async function startAiGateway(
  options: {
    env?: Record<string, string>;
    catalog?: ModelCatalog;
    providerFactory?: (spec: ProviderSpec) => ChatProvider;
    sharedWith?: Harness;
    wrapKv?: (kv: KvStore) => KvStore;
    /** Tool sources besides file_search (tests of the tool loop). */
    toolSources?: ToolSource[];
    /** The file chunk index (tests read it to know when chunks are indexed). */
    fileChunkIndex?: SearchIndex;
  } = {},
): Promise<Harness> {
  const gated = new GatedProvider('gated');
  const h = await startSubgraph({
    name: 'ai-gateway',
    secret: SECRET,
    setup(dataDir) {
      const config = loadAiGatewayConfig({
        INTERNAL_SIGNING_SECRET: SECRET,
        DATA_DIR: dataDir,
        DEMO_TOKEN_INTERVAL_MS: '0',
        RETRY_BASE_DELAY_MS: '1',
        RETRY_MAX_DELAY_MS: '2',
        ...options.env,
      });
      const logger = createLogger({ name: 'ai-gateway', level: 'silent' });
      // A second instance (`sharedWith`) runs on the first one's adapters and leaves them to it.
      const shared = options.sharedWith;
      const store = shared?.store ?? documentStoreFromConfig(config, 'ai-gateway', logger);
      const bus = shared?.bus ?? eventBusFromConfig(config, 'ai-gateway', logger);
      const kv = shared?.kv ?? (config.KV_STORE === 'redis' ? kvStoreFromConfig(config, logger) : createEmbeddedKv({ logger }));
      const providerFactory =
        options.providerFactory ??
        ((spec: ProviderSpec) => (spec.id === 'gated' ? gated : defaultProvider(spec, config.DEMO_TOKEN_INTERVAL_MS)));
      const build = () =>
        buildAiGateway({
          store,
          bus,
          kv: options.wrapKv ? options.wrapKv(kv) : kv,
          config,
          logger,
          catalog: options.catalog ?? testCatalog(),
          providerFactory,
          relayPollMs: 50,
          toolSources: options.toolSources,
          fileChunkIndex: options.fileChunkIndex,
        });
      return { store, bus, kv, adapters: shared ? [] : [store, bus, kv], build };
    },
  });
  const { store, bus, kv } = h.parts;
  return { ...h, gateway: h.service, store, bus, kv, gated, collections: aiGatewayCollections(store), stopGateway: () => h.service.stop() };
}

/** Every event of ai.generation.v1 from now on (a fresh group; older events of a real Kafka are left out). */
export const collectEvents = (h: Harness): Promise<CollectedEvent[]> => collect(h.bus, [aiGenerationV1.topic], Date.now() - 1000);

/** A fresh request's subject. */
export function newSubject(ownerId = `u-${newId()}`): { conversationId: string; messageId: string; streamId: string; ownerId: string } {
  return { conversationId: `c-${newId()}`, messageId: `m-${newId()}`, streamId: `s-${newId()}`, ownerId };
}

/** Publishes `generation.requested` as conversation would. */
export async function requestGeneration(
  h: Harness,
  subject: ReturnType<typeof newSubject>,
  options: { model?: string; prompt?: string; generateTitle?: boolean; eventId?: string } = {},
): Promise<EventEnvelope> {
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
  return events
    .filter((e) => (e.event.subject as { streamId?: string }).streamId === streamId && (type === undefined || e.event.type === type))
    .map((e) => e.event);
}

/** Where a suite runs (embedded or real servers). */
export type Target = SharedTarget<Harness>;

export const embedded = embeddedTarget((env) => startAiGateway({ env }));

export const realServers = realTarget((env) => startAiGateway({ env }), realServersEnv);
