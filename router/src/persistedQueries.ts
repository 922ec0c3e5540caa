import { LruCache } from './lru';
import { PERSISTED_QUERY_NOT_FOUND, refusal, type Refusal } from './refusal';

/** The `extensions.persistedQuery` of a request, once checked. */
export interface PersistedQueryRef {
  readonly sha256Hash: string;
}

/**
 * Automatic persisted queries (Apollo's protocol): a client sends only
 * `extensions.persistedQuery.sha256Hash`; on PERSISTED_QUERY_NOT_FOUND it sends the query with the
 * hash, which registers it, and the hash alone works from then on. Registered queries live in a
 * bounded LRU shared by every schema generation (a hash names a query string, not a schema).
 */
export class PersistedQueries {
  private readonly queries = new LruCache<string, string>(10_000, 8 * 1024 * 1024);

  /** Reads `extensions.persistedQuery`: undefined when absent, a refusal when malformed. */
  static refOf(extensions: Readonly<Record<string, unknown>> | undefined): PersistedQueryRef | Refusal | undefined {
    const value = extensions?.persistedQuery;
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || (value as { version?: unknown }).version !== 1) {
      return refusal('BAD_USER_INPUT', 'Unsupported persisted query version');
    }
    const sha256Hash = (value as { sha256Hash?: unknown }).sha256Hash;
    if (typeof sha256Hash !== 'string' || !/^[0-9a-f]{64}$/i.test(sha256Hash))
      return refusal('BAD_USER_INPUT', 'persistedQuery.sha256Hash must be a sha256 hex digest');
    return { sha256Hash: sha256Hash.toLowerCase() };
  }

  /** The registered query for a hash-only request, or the refusal that asks the client for it. */
  lookup(ref: PersistedQueryRef): string | Refusal {
    return this.queries.get(ref.sha256Hash) ?? PERSISTED_QUERY_NOT_FOUND;
  }

  /** Checks that a query sent with its hash matches it (the caller hashed the query). */
  static mismatch(ref: PersistedQueryRef, queryHash: string): Refusal | undefined {
    return ref.sha256Hash === queryHash ? undefined : refusal('BAD_USER_INPUT', 'provided sha does not match query');
  }

  /** Remembers a query that validated and passed the router's checks. */
  register(ref: PersistedQueryRef, query: string): void {
    this.queries.set(ref.sha256Hash, query, query.length);
  }
}
