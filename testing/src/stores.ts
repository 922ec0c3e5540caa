import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmbeddedStore, type Collection, type CollectionSpec, type DocumentStore, type StoredDocument } from '@chatgraph/kit/store';

/**
 * Decides what one collection method call does: `call()` runs it on the real collection; return
 * its result, or anything else (a rejected promise to inject a failure).
 */
export type CollectionInterceptor = (collection: string, method: string, args: unknown[], call: () => unknown) => unknown;

/**
 * A store whose collections' methods go through `intercept`: for counting queries or injecting
 * faults in tests, over the real adapter (never a mock of it).
 */
export function interceptStore(inner: DocumentStore, intercept: CollectionInterceptor): DocumentStore {
  return {
    start: () => inner.start(),
    stop: () => inner.stop(),
    ping: () => inner.ping(),
    collection<T extends StoredDocument>(spec: CollectionSpec<T>): Collection<T> {
      const collection = inner.collection(spec);
      return new Proxy(collection, {
        get(target, prop, receiver) {
          const value: unknown = Reflect.get(target, prop, receiver);
          if (typeof prop !== 'string' || typeof value !== 'function') return value;
          return (...args: unknown[]) =>
            intercept(target.name, prop, args, () => (value as (...a: unknown[]) => unknown).apply(target, args));
        },
      });
    },
  };
}

/** An embedded store in a fresh temp directory, started. */
export interface TempStore {
  store: DocumentStore;
  dataDir: string;
  /** Stops the store, then deletes its directory. */
  dispose(): Promise<void>;
}

/** Starts an embedded store in a temp directory named after `name`, for tests of one service's store code. */
export async function startTempStore(name: string): Promise<TempStore> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `${name}-`));
  const store = createEmbeddedStore({ dataDir });
  await store.start();
  return {
    store,
    dataDir,
    async dispose() {
      await store.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
