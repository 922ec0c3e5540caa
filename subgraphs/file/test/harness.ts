import { createLogger, signStreamedRequest, type Principal } from '@chatgraph/kit';
import { documentStoreFromConfig, type DocumentStore } from '@chatgraph/kit/store';
import { eventBusFromConfig, type EventBus } from '@chatgraph/kit/events';
import { createEmbeddedKv } from '@chatgraph/kit/kv';
import { createLocalBlobStore, type BlobStore } from '@chatgraph/kit/blob';
import { collectEvents, ROUTER, startSubgraph, type CollectedEvent, type SubgraphHarness } from '@chatgraph/test-support';
import path from 'node:path';
import { loadFileConfig } from '../src/config';
import type { FileProcessor, ProcessedFile, ProcessInput } from '../src/processing/types';
import { buildFile, type File } from '../src/server';
import { blobKeys, fileCollections, type FileCollections } from '../src/store';

export { ANON, codeOf, eventually, expectCode, ok, userPrincipal } from '@chatgraph/test-support';

export const SECRET = 'file-test-secret-0123456789abcdef0123';

/** A processor the test drives: by default plain text, one chunk; `next` replaces the outcome of the next calls. */
export class ScriptedProcessor implements FileProcessor {
  readonly seen: ProcessInput[] = [];
  next: ((input: ProcessInput) => Promise<ProcessedFile>) | undefined;

  async process(input: ProcessInput): Promise<ProcessedFile> {
    this.seen.push(input);
    if (this.next) return this.next(input);
    const text = input.bytes.toString('utf8');
    return { text, chunks: [{ index: 0, text: text.slice(0, 8000) || ' ', tokens: 1 }] };
  }

  async stop(): Promise<void> {}
}

export interface Harness extends SubgraphHarness<File> {
  store: DocumentStore;
  bus: EventBus;
  blobs: BlobStore;
  collections: FileCollections;
  processor: ScriptedProcessor;
  events: CollectedEvent[];
  /** Sends a byte-route request to the subgraph signed as the router forwards it (`sign: false`: unsigned). */
  bytes(
    method: string,
    target: string,
    init?: { body?: RequestInit['body']; headers?: Record<string, string>; sign?: boolean },
  ): Promise<Response>;
  /** Creates an upload for `principal` and answers its id and target (`/files/uploads/<ticket>`). */
  ticket(principal: Principal, input: { filename: string; mimeType: string; bytes: number }): Promise<{ id: string; target: string }>;
  blobExists(fileId: string): Promise<boolean>;
}

/** Starts file on port 0 over embedded adapters and a local blob store in a temp directory. */
export async function startFile(env: Record<string, string> = {}): Promise<Harness> {
  const processor = new ScriptedProcessor();
  const h = await startSubgraph({
    name: 'file',
    secret: SECRET,
    setup(dataDir) {
      const config = loadFileConfig({ INTERNAL_SIGNING_SECRET: SECRET, DATA_DIR: dataDir, FILE_PUBLIC_URL: 'http://router.test', ...env });
      const logger = createLogger({ name: 'file', level: 'silent' });
      const store = documentStoreFromConfig(config, 'file', logger);
      const bus = eventBusFromConfig(config, 'file', logger);
      const blobs = createLocalBlobStore({ dir: path.join(dataDir, 'blobs') });
      const kv = createEmbeddedKv({ logger });
      return {
        store,
        bus,
        blobs,
        adapters: [store, bus, blobs, kv],
        build: () => buildFile({ store, bus, blobs, kv, processor, config, logger, relayPollMs: 50 }),
      };
    },
  });
  const { store, bus, blobs } = h.parts;
  const events = await collectEvents(bus, ['file.file.v1'], 0);
  return {
    ...h,
    store,
    bus,
    blobs,
    processor,
    events,
    collections: fileCollections(store),
    bytes(method, target, init = {}) {
      const signed = init.sign === false ? {} : signStreamedRequest(SECRET, ROUTER, method, target);
      return fetch(`${h.base}${target}`, {
        method,
        headers: { ...init.headers, ...signed },
        ...(init.body !== undefined ? { body: init.body, duplex: 'half' } : {}),
      } as RequestInit);
    },
    async ticket(principal, input) {
      const res = await h.gql<{ createUpload: { file: { id: string }; uploadUrl: string } }>(
        principal,
        'mutation($input: CreateUploadInput!) { createUpload(input: $input) { file { id } uploadUrl } }',
        { input },
      );
      if (!res.data) throw new Error(JSON.stringify(res.errors));
      const url = new URL(res.data.createUpload.uploadUrl);
      return { id: res.data.createUpload.file.id, target: url.pathname };
    },
    blobExists: (fileId) => blobs.exists(blobKeys.original(fileId)),
  };
}

/** The types of the events of one file collected so far. */
export function eventTypes(h: Harness, fileId: string): string[] {
  return h.events.filter((e) => e.key === fileId).map((e) => e.event.type);
}
