import type { Client, estypes } from '@elastic/elasticsearch';
import { SearchIndexError, SearchUnavailableError } from '../errors';
import { normalizeFilters } from '../filters';
import type { KeywordValues, SearchDocument, WriteOptions } from '../port';
import { toSource } from './hits';
import { filterClauses } from './queries';

interface BulkItemFailure {
  id: string;
  status: number;
  reason: string;
}

function failures(response: estypes.BulkResponse): BulkItemFailure[] {
  if (!response.errors) return [];
  return response.items.flatMap((item) => {
    const result = Object.values(item)[0];
    if (!result?.error) return [];
    return [{ id: result._id ?? '?', status: result.status, reason: `${result.error.type}: ${result.error.reason ?? ''}` }];
  });
}

/** Throws for failed bulk items: all rejections for load (429) mean retry later, others are errors. */
function raiseFailures(response: estypes.BulkResponse, operation: string, index: string): void {
  const failed = failures(response);
  if (failed.length === 0) return;
  const message = `Elasticsearch ${operation} on ${index}: ${failed.length} document(s) failed, first ${failed[0]?.id}: ${failed[0]?.reason}`;
  if (failed.every((f) => f.status === 429)) throw new SearchUnavailableError(message);
  throw new SearchIndexError(message, { failedIds: failed.map((f) => f.id) });
}

/** Index operations replace whole documents, so an upsert never leaves stale fields behind. */
export async function bulkUpsert(
  client: Client,
  index: string,
  docs: readonly SearchDocument[],
  options: WriteOptions = {},
): Promise<void> {
  if (docs.length === 0) return;
  const operations = docs.flatMap((doc) => [{ index: { _index: index, _id: doc.id } }, toSource(doc)]);
  const response = await client.bulk({ operations, refresh: options.refresh ?? false });
  raiseFailures(response, 'bulk upsert', index);
}

export async function bulkDelete(client: Client, index: string, ids: readonly string[], options: WriteOptions = {}): Promise<number> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return 0;
  const response = await client.bulk({
    operations: unique.map((id) => ({ delete: { _index: index, _id: id } })),
    refresh: options.refresh ?? false,
  });
  raiseFailures(response, 'bulk delete', index);
  return response.items.filter((item) => item.delete?.result === 'deleted').length;
}

/** Ids fetched and deleted per round of `deleteOwner`. */
const DELETE_BATCH = 1000;

/**
 * Deletes an owner's documents in batches: ids by `search_after`, then bulk deletes. Not
 * `delete_by_query`, which lives in the `reindex` module that a stripped distribution lacks.
 * Searches see only refreshed documents, so the index is refreshed first: otherwise documents
 * written a moment ago would survive the deletion of the account.
 */
export async function deleteOwner(client: Client, index: string, ownerId: string, options: WriteOptions = {}): Promise<number> {
  return deleteWhere(client, index, ownerId, {}, options);
}

/** Deletes an owner's documents matching keyword values (as a search filter would), in batches as `deleteOwner`. */
export async function deleteWhere(
  client: Client,
  index: string,
  ownerId: string,
  keywords: KeywordValues,
  options: WriteOptions = {},
): Promise<number> {
  await client.indices.refresh({ index });
  let deleted = 0;
  let after: estypes.SortResults | undefined;
  for (;;) {
    const page = await client.search({
      index,
      query: { bool: { filter: filterClauses(normalizeFilters(ownerId, { keywords })) } },
      sort: [{ id: { order: 'asc' } }],
      search_after: after,
      size: DELETE_BATCH,
      _source: false,
      track_total_hits: false,
    });
    const hits = page.hits.hits;
    const ids = hits.flatMap((hit) => (hit._id === undefined ? [] : [hit._id]));
    if (ids.length > 0) deleted += await bulkDelete(client, index, ids, {});
    after = hits[hits.length - 1]?.sort;
    if (hits.length < DELETE_BATCH || !after) break;
  }
  if (options.refresh) await client.indices.refresh({ index });
  return deleted;
}
