import { createLogger, newId } from '@chatgraph/kit';
import { documentStoreFromConfig, type DocumentStore } from '@chatgraph/kit/store';
import { eventBusFromConfig, type EventBus } from '@chatgraph/kit/events';
import { assistantAssistantV1, fileFileV1, identityUserV1, type FilePurpose } from '@chatgraph/schema';
import { collectEvents, realServersEnv, startSubgraph, type CollectedEvent, type SubgraphHarness } from '@chatgraph/test-support';
import { loadAssistantConfig } from '../src/config';
import { buildAssistant, type Assistant } from '../src/server';
import { assistantCollections, type AssistantCollections } from '../src/store';

export { ANON, codeOf, eventually, expectCode, ok, userPrincipal } from '@chatgraph/test-support';

export const SECRET = 'assistant-test-secret-0123456789abcdef';

/** The cap of assistants per user the suites run with (small, so a flood reaches it). */
export const TEST_CAP = 5;

export interface Harness extends SubgraphHarness<Assistant> {
  store: DocumentStore;
  bus: EventBus;
  collections: AssistantCollections;
  /** Every `assistant.assistant.v1` event published since the start, in order. */
  events: CollectedEvent[];
}

/** Starts assistant on port 0 over the adapters its configuration names (embedded in a temp directory by default). */
export async function startAssistant(env: Record<string, string> = {}): Promise<Harness> {
  const h = await startSubgraph({
    name: 'assistant',
    secret: SECRET,
    tries: env.EVENT_BUS === 'kafka' ? 3000 : 400,
    setup(dataDir) {
      const config = loadAssistantConfig({
        INTERNAL_SIGNING_SECRET: SECRET,
        DATA_DIR: dataDir,
        ASSISTANT_MAX_PER_USER: String(TEST_CAP),
        ...env,
      });
      const logger = createLogger({ name: 'assistant', level: 'silent' });
      const store = documentStoreFromConfig(config, 'assistant', logger);
      const bus = eventBusFromConfig(config, 'assistant', logger);
      return { store, bus, adapters: [store, bus], build: () => buildAssistant({ store, bus, config, logger, relayPollMs: 50 }) };
    },
  });
  const { store, bus } = h.parts;
  const events = await collectEvents(bus, [assistantAssistantV1.topic], 0);
  return { ...h, store, bus, collections: assistantCollections(store), events };
}

/** assistant on FerretDB (a database of its own) and Kafka (topics of their own), for `*.real.test.ts`. */
export function realEnv(): Record<string, string> {
  return realServersEnv({ documentStore: true, eventBus: 'own-topics' });
}

/** Publishes identity's `user.deleted` of `userId` (again, if published before: a redelivery). */
export async function deleteAccount(h: Harness, userId: string, id?: string): Promise<void> {
  const event = identityUserV1.create('user.deleted', { userId }, { by: 'admin' }, id ? { id } : {});
  await h.bus.publish(identityUserV1.topic, [{ key: userId, event }]);
}

/** Publishes the file service's event of one stage of a file's life (as the file service would). */
export async function publishFile(
  h: Harness,
  ownerId: string,
  fileId: string,
  stage: 'uploaded' | 'processed' | 'failed' | 'deleted',
  purpose: FilePurpose = 'ASSISTANT_KNOWLEDGE',
): Promise<void> {
  const subject = { fileId, ownerId };
  const named = { filename: `${fileId}.pdf`, mimeType: 'application/pdf', bytes: 2048, purpose };
  const event =
    stage === 'uploaded'
      ? fileFileV1.create('file.uploaded', subject, { ...named, sha256: 'a'.repeat(64) })
      : stage === 'processed'
        ? fileFileV1.create('file.processed', subject, { ...named, text: 'Tax tables', textTruncated: false, pages: 1, chunkCount: 1 })
        : stage === 'failed'
          ? fileFileV1.create('file.failed', subject, { code: 'CORRUPT', reason: 'not a PDF' })
          : fileFileV1.create('file.deleted', subject, {});
  await h.bus.publish(fileFileV1.topic, [{ key: fileId, event }]);
}

/** A user id no other test uses. */
export function someone(name: string): string {
  return `${name}-${newId().slice(-12)}`;
}
