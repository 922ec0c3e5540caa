import type { estypes } from '@elastic/elasticsearch';
import { HIGHLIGHT_PRE_TAG, highlightFieldOrder } from '../highlight';
import type { SearchHit, SearchIndexDefinition, StoredSearchDocument } from '../port';
import { textPath } from './mappings';

/** What the adapter writes to `_source`: the document with dates as ISO strings. */
export interface SourceDocument {
  id: string;
  ownerId: string;
  kind: string;
  text: Record<string, string>;
  keywords?: Record<string, string | string[]>;
  vector?: number[];
  createdAt: string;
  updatedAt?: string;
}

export function toSource(doc: StoredSearchDocument & { vector?: number[] }): SourceDocument {
  const source: SourceDocument = {
    id: doc.id,
    ownerId: doc.ownerId,
    kind: doc.kind,
    text: doc.text,
    createdAt: doc.createdAt.toISOString(),
  };
  if (doc.keywords) source.keywords = doc.keywords;
  if (doc.vector) source.vector = doc.vector;
  if (doc.updatedAt) source.updatedAt = doc.updatedAt.toISOString();
  return source;
}

export function fromSource(source: SourceDocument): StoredSearchDocument {
  const doc: StoredSearchDocument = {
    id: source.id,
    ownerId: source.ownerId,
    kind: source.kind,
    text: source.text,
    createdAt: new Date(source.createdAt),
  };
  if (source.keywords) doc.keywords = source.keywords;
  if (source.updatedAt) doc.updatedAt = new Date(source.updatedAt);
  return doc;
}

/** The heaviest field with a marked fragment, else the heaviest field's leading fragment. */
export function chooseHighlight(definition: SearchIndexDefinition, highlight: Record<string, string[]> | undefined): string {
  let fallback: string | undefined;
  for (const field of highlightFieldOrder(definition.textFields)) {
    const fragment = highlight?.[textPath(field)]?.[0];
    if (fragment === undefined) continue;
    if (fragment.includes(HIGHLIGHT_PRE_TAG)) return fragment;
    fallback ??= fragment.trim() ? fragment : undefined;
  }
  return fallback ?? '';
}

export function toHit(
  definition: SearchIndexDefinition,
  hit: estypes.SearchHit<SourceDocument>,
  score: number,
  cursor: string,
): SearchHit | undefined {
  if (!hit._source) return undefined;
  const doc = fromSource(hit._source);
  return { id: doc.id, kind: doc.kind, score, highlight: chooseHighlight(definition, hit.highlight), doc, cursor };
}
