import type { NormalizedFilters } from '../filters';
import type { StoredSearchDocument } from '../port';

/** The embedded equivalent of the Elasticsearch `bool.filter` clauses (see elasticsearch/queries.ts). */
export function matchesFilters(doc: StoredSearchDocument, filters: NormalizedFilters): boolean {
  if (doc.ownerId !== filters.ownerId) return false;
  if (filters.kinds && !filters.kinds.includes(doc.kind)) return false;
  for (const [field, wanted] of filters.keywords) {
    const value = doc.keywords?.[field];
    const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
    if (!values.some((v) => wanted.includes(v))) return false;
  }
  const created = doc.createdAt.getTime();
  if (filters.createdFrom && created < filters.createdFrom.getTime()) return false;
  if (filters.createdBefore && created >= filters.createdBefore.getTime()) return false;
  return true;
}
