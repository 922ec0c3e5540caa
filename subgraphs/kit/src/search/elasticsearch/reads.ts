import type { Client } from '@elastic/elasticsearch';
import { normalizeFilters } from '../filters';
import type { SearchDocument, SearchFilters } from '../port';
import { fromSource, type SourceDocument } from './hits';
import { filterClauses } from './queries';

/**
 * An owner's documents by id with their vectors. `mget` is real-time (it reads the latest write,
 * refreshed or not), which a read-modify-write of one document needs.
 */
export async function getDocuments(
  client: Client,
  indexes: readonly string[],
  ownerId: string,
  ids: readonly string[],
): Promise<SearchDocument[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  // An id says nothing of its kind: each index is asked for it (found in one at most).
  const docs = unique.flatMap((id) => indexes.map((index) => ({ _index: index, _id: id })));
  // Elasticsearch 9 leaves vectors out of `_source` unless asked (`_source_exclude_vectors`, not in the client's types).
  const response = await client.mget<SourceDocument>({ docs }, { querystring: { _source_exclude_vectors: false } });
  return response.docs.flatMap((entry) => {
    if (!('found' in entry) || !entry.found || !entry._source || entry._source.ownerId !== ownerId) return [];
    const source = entry._source;
    return [source.vector ? { ...fromSource(source), vector: source.vector } : fromSource(source)];
  });
}

/**
 * Ids of an owner's documents passing `filters`, by id, at most `limit`. Whether more matched is
 * counted (up to one more) rather than read: `limit + 1` rows could pass `max_result_window`.
 */
export async function idsWhere(
  client: Client,
  index: string,
  ownerId: string,
  filters: SearchFilters,
  limit: number,
): Promise<{ ids: string[]; complete: boolean }> {
  const response = await client.search({
    index,
    query: { bool: { filter: filterClauses(normalizeFilters(ownerId, filters)) } },
    sort: [{ id: { order: 'asc' } }],
    size: limit,
    _source: false,
    track_total_hits: limit + 1,
  });
  const ids = response.hits.hits.flatMap((hit) => (hit._id === undefined ? [] : [hit._id]));
  const total = response.hits.total;
  const matched = typeof total === 'number' ? total : (total?.value ?? ids.length);
  return { ids, complete: matched <= limit };
}
