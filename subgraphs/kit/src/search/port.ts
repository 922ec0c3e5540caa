/**
 * The search-index port: full-text (BM25), vector (cosine kNN) and hybrid (reciprocal rank
 * fusion) search over documents that always belong to one owner. The same service code runs on
 * the embedded engine (default, in-process) and on Elasticsearch; one contract suite checks both.
 *
 * The index is derived data: it can be rebuilt from the owning services' events. Still, a write
 * that resolved is durable (the embedded engine, given a data dir, journals and fsyncs it first;
 * Elasticsearch acknowledges after its translog), so a consumer that indexes an event and then
 * acknowledges it never loses the write in a crash.
 */

/** What an index holds. Field names are plain identifiers (`[A-Za-z][A-Za-z0-9_]*`). */
export interface SearchIndexDefinition {
  /** Index name, lowercase as Elasticsearch requires (`chatgraph-search`). */
  name: string;
  /** Analyzed text fields and their weights (boosts) for keyword relevance, e.g. `{ title: 2, body: 1 }`. */
  textFields: Record<string, number>;
  /** Exact-match fields usable in `filters.keywords` (e.g. `conversationId`). */
  keywordFields?: string[];
  /** Dimensions of the embedding vector; omit for an index without semantic search. */
  vectorDims?: number;
  /**
   * How many results each ranked list contributes in semantic and hybrid modes (Elasticsearch's
   * `rank_window_size`); those modes page only within it. Defaults to 100.
   */
  rankWindowSize?: number;
  /**
   * The document kinds, when each should live in an index of its own (Elasticsearch: an alias
   * `<name>-<kind>` per kind; a document of another kind is refused). The embedded engine keeps
   * one index either way, the kind being a field. Lowercase identifiers.
   */
  kinds?: readonly string[];
}

/** Keyword values: one value, or several (matching any of them). */
export type KeywordValues = Record<string, string | string[]>;

/** One indexed document. `ownerId` is mandatory: every search is confined to one owner. */
export interface SearchDocument {
  /** Unique within the index; upserting the same id replaces the document. */
  id: string;
  ownerId: string;
  /** What the document is (`message`, `conversation`, `file`...); filterable. */
  kind: string;
  /** Values of the definition's text fields; missing fields are simply not searchable. */
  text: Record<string, string>;
  /** Embedding, `vectorDims` long and not all zeros (cosine is undefined for it). */
  vector?: number[];
  keywords?: KeywordValues;
  createdAt: Date;
  updatedAt?: Date;
}

/** A document as returned in hits: without its vector, which callers never need back. */
export type StoredSearchDocument = Omit<SearchDocument, 'vector'>;

export type SearchMode = 'keyword' | 'semantic' | 'hybrid';

export interface SearchFilters {
  /** Only these kinds (any of them). */
  kinds?: string[];
  /** Equality on declared keyword fields; every field must match (one of its values). */
  keywords?: KeywordValues;
  /** `createdAt` range: `gte` inclusive, `lt` exclusive. */
  createdAt?: { gte?: Date; lt?: Date };
}

export interface SearchRequest {
  /** Mandatory and always applied as a filter, in every mode: there is no search across owners. */
  ownerId: string;
  /** The user's query; required in keyword and hybrid modes, used for highlights in all. */
  text?: string;
  /** The query's embedding; required in semantic and hybrid modes. */
  vector?: number[];
  /**
   * Keyword filter of the vector (kNN) list only, on top of `filters`; the keyword list of a
   * hybrid search ignores it. Search passes the query's embedding model here, so that vectors of
   * different models are never compared while documents still carry an older model's.
   */
  vectorFilter?: KeywordValues;
  mode: SearchMode;
  filters?: SearchFilters;
  /** Page size, 1..100. */
  size: number;
  /**
   * Forward paging (GraphQL `first`/`after`): the page starts just after the hit this cursor was
   * taken from (a hit's `cursor`, or a result's `cursor`). A cursor of another mode or another
   * owner is refused with BAD_USER_INPUT.
   */
  cursor?: string | null;
  /**
   * Backward paging (GraphQL `last`/`before`): the `size` hits just before the hit this cursor was
   * taken from, still best first. Not with `cursor`; implies `backward`.
   */
  before?: string | null;
  /** Takes the page from the end of the list (GraphQL `last`): without `before`, the `size` worst hits. */
  backward?: boolean;
}

export interface SearchHit {
  id: string;
  kind: string;
  /**
   * Keyword: the BM25 score (engine-specific, comparable only within one result list).
   * Semantic: `(1 + cosine) / 2`, as Elasticsearch reports it. Hybrid: the RRF score.
   */
  score: number;
  /**
   * A fragment of the best-matching text field with query terms wrapped in `<mark>`…`</mark>`;
   * the rest is HTML-escaped. When no term matches, the start of the text, unmarked.
   */
  highlight: string;
  doc: StoredSearchDocument;
  /** This hit's position, bound to the search's mode and owner: pass it as `cursor` or `before`. */
  cursor: string;
}

export interface SearchResult {
  hits: SearchHit[];
  /**
   * How many hits the search pages through in all, whatever the page: keyword, every matching
   * document of the owner (within the filters); semantic and hybrid, the ranked window (at most
   * `rankWindowSize`).
   */
  total: number;
  /** Pass back as `cursor` for the next page; null when there is none (the last hit's `cursor` otherwise). */
  cursor: string | null;
  /** More hits follow this page: exact when paging forward; with `before`, true (the hit `before` names follows). */
  hasNext: boolean;
  /** More hits precede this page: exact when paging backward; with `cursor`, true (the hit it names precedes). */
  hasPrevious: boolean;
}

export interface WriteOptions {
  /**
   * When the write becomes visible to searches (Elasticsearch semantics): `false` (default) at
   * the next periodic refresh, `'wait_for'` resolve once visible, `true` refresh now (costly;
   * tests). The embedded engine makes every write visible at once.
   */
  refresh?: boolean | 'wait_for';
}

export interface SearchIndex {
  readonly definition: SearchIndexDefinition;
  /** Creates templates/mappings (or loads a snapshot). Idempotent; call before anything else. */
  start(): Promise<void>;
  /** Releases connections and files. Safe to call twice. */
  stop(): Promise<void>;
  /** Throws `SearchUnavailableError` when the index cannot serve requests (for `/readyz`). */
  ping(): Promise<void>;
  /**
   * Inserts or replaces documents in one bulk. Documents are validated first: an invalid one
   * throws `SearchRequestError` and nothing is written.
   */
  upsert(docs: readonly SearchDocument[], options?: WriteOptions): Promise<void>;
  /** Removes documents by id; returns how many existed. */
  delete(ids: readonly string[], options?: WriteOptions): Promise<number>;
  /** Removes every document of an owner (account deletion); returns how many. */
  deleteByOwner(ownerId: string, options?: WriteOptions): Promise<number>;
  /**
   * Removes an owner's documents whose keyword fields match `keywords` (every field; a list
   * matches any of its values), e.g. every chunk of a deleted file; returns how many. `keywords`
   * must name at least one declared keyword field.
   */
  deleteMatching(ownerId: string, keywords: KeywordValues, options?: WriteOptions): Promise<number>;
  /** Makes every acknowledged write visible to searches. */
  refresh(): Promise<void>;
  search(request: SearchRequest): Promise<SearchResult>;
  /**
   * An owner's documents by id, with their vectors, as last written (refreshed or not); ids that
   * do not exist or belong to another owner are left out. For read-modify-write of a document
   * whose writers are ordered (one conversation's events), and for copying an index.
   */
  get(ownerId: string, ids: readonly string[]): Promise<SearchDocument[]>;
  /**
   * Ids of an owner's documents that pass `filters` (no text, no ranking; ordered by id), at most
   * `limit` (1..10000); `complete` is false when more matched. Sees what searches see.
   */
  matchingIds(ownerId: string, filters: SearchFilters, limit: number): Promise<{ ids: string[]; complete: boolean }>;
  /**
   * Maintenance over every owner, never a user's search: documents whose keyword `field` holds
   * none of `values` (documents without the field included), in id order after `after`
   * (exclusive; null from the first), at most `size` (1..1000). Search finds with it the
   * documents to embed again with the current model.
   */
  scanNotMatching(field: string, values: readonly string[], after: string | null, size: number): Promise<StoredSearchDocument[]>;
}
