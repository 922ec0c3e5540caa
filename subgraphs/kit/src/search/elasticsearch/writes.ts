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

/**
 * Index operations replace whole documents, so an upsert never leaves stale fields behind.
 * `indexes[i]` is the alias of `docs[i]`'s kind (layout.ts); with an index per kind, a document
 * whose kind changed is also deleted, in the same bulk, from the index of its former kind.
 */
export async function bulkUpsert(
  client: Client,
  indexes: readonly string[],
  docs: readonly SearchDocument[],
  options: WriteOptions = {},
  allIndexes: readonly string[] = [...new Set(indexes)],
): Promise<void> {
  if (docs.length === 0) return;
  const stale = await elsewhere(client, indexes, docs, allIndexes);
  const operations = [
    ...stale.map((found) => ({ delete: { _index: found.index, _id: found.id } })),
    ...docs.flatMap((doc, i) => [{ index: { _index: indexes[i], _id: doc.id } }, toSource(doc)]),
  ];
  const response = await client.bulk({ operations, refresh: options.refresh ?? false });
  raiseFailures(response, 'bulk upsert', [...new Set(indexes)].join());
}

/**
 * Where the documents exist under another kind's index: a real-time `mget` (reads, unlike blind
 * deletes, leave no tombstones), asked only when there is another index.
 */
async function elsewhere(
  client: Client,
  indexes: readonly string[],
  docs: readonly SearchDocument[],
  allIndexes: readonly string[],
): Promise<Array<{ index: string; id: string }>> {
  const asked = docs.flatMap((doc, i) => allIndexes.filter((index) => index !== indexes[i]).map((index) => ({ index, id: doc.id })));
  if (asked.length === 0) return [];
  const response = await client.mget({ docs: asked.map((entry) => ({ _index: entry.index, _id: entry.id })), _source: false });
  return asked.filter((_, i) => {
    const entry = response.docs[i];
    return entry !== undefined && 'found' in entry && entry.found;
  });
}

/**
 * Deletes ids from every index given: an id says nothing of its kind, so with an index per kind
 * each one is asked (a missing id is no failure), in one bulk.
 */
export async function bulkDelete(
  client: Client,
  indexes: readonly string[],
  ids: readonly string[],
  options: WriteOptions = {},
): Promise<number> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return 0;
  const response = await client.bulk({
    operations: indexes.flatMap((index) => unique.map((id) => ({ delete: { _index: index, _id: id } }))),
    refresh: options.refresh ?? false,
  });
  raiseFailures(response, 'bulk delete', indexes.join());
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
export async function deleteOwner(
  client: Client,
  indexes: readonly string[],
  ownerId: string,
  options: WriteOptions = {},
): Promise<number> {
  return deleteWhere(client, indexes, ownerId, {}, options);
}

/**
 * Deletes an owner's documents matching keyword values (as a search filter would), in batches as
 * `deleteOwner`, from each index in turn (each through its alias, so a rebuild's catch-up sees
 * the deletes).
 */
export async function deleteWhere(
  client: Client,
  indexes: readonly string[],
  ownerId: string,
  keywords: KeywordValues,
  options: WriteOptions = {},
): Promise<number> {
  let deleted = 0;
  for (const index of indexes) deleted += await deleteWhereIn(client, index, ownerId, keywords, options);
  return deleted;
}

async function deleteWhereIn(
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
    if (ids.length > 0) deleted += await bulkDelete(client, [index], ids, {});
    after = hits[hits.length - 1]?.sort;
    if (hits.length < DELETE_BATCH || !after) break;
  }
  if (options.refresh) await client.indices.refresh({ index });
  return deleted;
}
