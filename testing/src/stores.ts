import type { Collection, CollectionSpec, DocumentStore, StoredDocument } from '@chatgraph/kit';

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
          return (...args: unknown[]) => intercept(target.name, prop, args, () => (value as (...a: unknown[]) => unknown).apply(target, args));
        },
      });
    },
  };
}
