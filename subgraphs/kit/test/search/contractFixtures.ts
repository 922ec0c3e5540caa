import { randomUUID } from 'node:crypto';
import type { SearchDocument, SearchIndex, SearchIndexDefinition, SearchMode, SearchRequest, SearchResult } from '../../src/search';

/** What a contract run gets from the adapter under test: a fresh index, not yet started. */
export interface IndexUnderTest {
  index: SearchIndex;
  /** Runs after `stop()`: removes what the index left behind (files, Elasticsearch indices). */
  cleanup(): Promise<void>;
}

export type MakeIndex = (definition: SearchIndexDefinition) => Promise<IndexUnderTest>;

export interface ContractContext {
  index: SearchIndex;
  make: MakeIndex;
}

/** A fresh, lowercase index name per suite so runs against a shared server never collide. */
export function contractDefinition(overrides: Partial<SearchIndexDefinition> = {}): SearchIndexDefinition {
  return {
    name: `contract-${randomUUID().slice(0, 8)}`,
    textFields: { title: 2, body: 1 },
    keywordFields: ['conversationId', 'tags'],
    vectorDims: 3,
    ...overrides,
  };
}

let owners = 0;
/** Tests share one index and isolate themselves by owner, which every search is confined to. */
export function newOwner(): string {
  owners += 1;
  return `owner-${owners}-${randomUUID().slice(0, 6)}`;
}

export interface DocInput {
  id: string;
  ownerId: string;
  kind?: string;
  title?: string;
  body?: string;
  vector?: number[];
  keywords?: SearchDocument['keywords'];
  createdAt?: Date;
}

/**
 * Every document gets a title and a body so both fields have the same document count, which
 * keeps BM25's per-field idf equal and the weight comparisons below independent of the corpus.
 */
export function doc(input: DocInput): SearchDocument {
  const made: SearchDocument = {
    id: input.id,
    ownerId: input.ownerId,
    kind: input.kind ?? 'message',
    text: { title: input.title ?? 'untitled', body: input.body ?? 'empty' },
    createdAt: input.createdAt ?? new Date('2025-01-01T00:00:00Z'),
  };
  if (input.vector) made.vector = input.vector;
  if (input.keywords) made.keywords = input.keywords;
  return made;
}

/** Writes and makes visible, as a test needs before searching. */
export async function put(index: SearchIndex, docs: SearchDocument[]): Promise<void> {
  await index.upsert(docs, { refresh: true });
}

/** Unique document ids per test (ids are index-wide, not per owner). */
export function ids(prefix: string, ...names: string[]): string[] {
  const run = randomUUID().slice(0, 6);
  return names.map((name) => `${prefix}-${run}-${name}`);
}

export function request(ownerId: string, mode: SearchMode, extra: Partial<SearchRequest> = {}): SearchRequest {
  return { ownerId, mode, size: 10, ...extra };
}

export function hitIds(result: SearchResult): string[] {
  return result.hits.map((hit) => hit.id);
}

/** Follows cursors to the end and returns every page's ids (size bounds the page count). */
export async function allPages(index: SearchIndex, base: SearchRequest, maxPages = 20): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const result: SearchResult = await index.search({ ...base, cursor });
    pages.push(hitIds(result));
    cursor = result.cursor;
  } while (cursor && pages.length < maxPages);
  return pages;
}
