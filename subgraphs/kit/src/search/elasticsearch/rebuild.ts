import type { Client, estypes } from '@elastic/elasticsearch';
import type { AdapterLogger } from '../../adapterLogger';
import { SearchIndexError } from '../errors';
import type { SearchIndexDefinition } from '../port';
import { concreteIndexes, createConcrete, generationName, generationOf } from './aliases';
import type { SourceDocument } from './hits';
import type { TemplateOptions } from './mappings';

/** What a rebuild did. */
export interface RebuildReport {
  /** The alias rebuilt (one kind's, with an index per kind). */
  alias: string;
  /** The generation the alias pointed at before (deleted once the rebuild is done). */
  from: string;
  /** The new generation the alias points at now. */
  to: string;
  /** Documents copied before the swap. */
  copied: number;
  /** Documents written to the old generation during the copy, copied after the swap. */
  caughtUp: number;
  /** Copied documents deleted from the old generation during the copy, deleted after the swap. */
  removed: number;
}

export interface RebuildHooks {
  /** Runs after the bulk copy of `alias`, before its swap (tests write here to exercise the catch-up). */
  afterCopy?: (alias: string) => Promise<void>;
}

/** What to rebuild, and the hooks. */
export interface RebuildOptions extends RebuildHooks {
  /** With an index per kind, only these kinds' indexes (default: every kind's, one after the other). */
  kinds?: readonly string[];
}

/** Documents read and written per round. */
const BATCH = 500;

type Hit = estypes.SearchHit<SourceDocument>;

/** Pages through `index`'s documents matching `query`, by id, vectors included, with sequence numbers. */
export async function* scan(client: Client, index: string, query: estypes.QueryDslQueryContainer): AsyncGenerator<Hit[]> {
  let after: estypes.SortResults | undefined;
  for (;;) {
    const page = await client.search<SourceDocument>(
      {
        index,
        query,
        sort: [{ id: { order: 'asc' } }],
        search_after: after,
        size: BATCH,
        seq_no_primary_term: true,
        track_total_hits: false,
      },
      // Elasticsearch 9 leaves vectors out of `_source` unless asked; a copy needs them.
      { querystring: { _source_exclude_vectors: false } },
    );
    const hits = page.hits.hits;
    if (hits.length > 0) yield hits;
    after = hits[hits.length - 1]?.sort;
    if (hits.length < BATCH || !after) return;
  }
}

/** The highest sequence number in a one-shard index; -1 when empty (or several shards: then everything counts as newer). */
async function highestSeqNo(client: Client, index: string): Promise<number> {
  const settings = await client.indices.getSettings({ index, name: 'index.number_of_shards' });
  const shards = Number(Object.values(settings)[0]?.settings?.index?.number_of_shards ?? 1);
  if (shards !== 1) return -1;
  const page = await client.search({ index, sort: [{ _seq_no: { order: 'desc' } }], size: 1, _source: false, seq_no_primary_term: true });
  return page.hits.hits[0]?._seq_no ?? -1;
}

export function raiseUnexpected(response: estypes.BulkResponse, what: string): void {
  // 409: a concurrent write (or delete) of the live service won; its version stays.
  const failed = response.items.flatMap((item) => Object.values(item)).filter((result) => result?.error && result.status !== 409);
  if (failed.length > 0)
    throw new SearchIndexError(`${what}: ${failed.length} document(s) failed, first: ${failed[0]?.error?.reason ?? '?'}`);
}

async function copyAll(client: Client, from: string, to: string): Promise<number> {
  let copied = 0;
  for await (const hits of scan(client, from, { match_all: {} })) {
    const operations = hits.flatMap((hit) => [{ index: { _index: to, _id: hit._id } }, hit._source]);
    raiseUnexpected(await client.bulk({ operations }), `copy ${from} -> ${to}`);
    copied += hits.length;
  }
  return copied;
}

/**
 * After the swap: documents written to `from` after `fromMark` are copied to `to` unless the live
 * service wrote them there since (`to`'s copy is still the bulk copy's, `<= toMark`: replaced
 * only if unchanged, by sequence number; absent: created only if still absent).
 */
async function catchUp(client: Client, from: string, to: string, fromMark: number, toMark: number): Promise<number> {
  let caughtUp = 0;
  for await (const hits of scan(client, from, { range: { _seq_no: { gt: fromMark } } })) {
    const current = await client.mget({ index: to, ids: hits.flatMap((hit) => (hit._id ? [hit._id] : [])), _source: false });
    const there = new Map(current.docs.flatMap((doc) => ('found' in doc && doc.found ? [[doc._id, doc] as const] : [])));
    const operations = hits.flatMap((hit): unknown[] => {
      const existing = there.get(hit._id ?? '');
      if (!existing) return [{ create: { _index: to, _id: hit._id } }, hit._source];
      if ((existing._seq_no ?? Infinity) > toMark) return [];
      return [{ index: { _index: to, _id: hit._id, if_seq_no: existing._seq_no, if_primary_term: existing._primary_term } }, hit._source];
    });
    if (operations.length === 0) continue;
    raiseUnexpected(await client.bulk({ operations: operations as estypes.BulkRequest['operations'] }), `catch up ${from} -> ${to}`);
    caughtUp += operations.length / 2;
  }
  return caughtUp;
}

/** After the swap: bulk-copied documents (unchanged since, `<= toMark`) that `from` no longer has were deleted during the copy. */
async function removeDeleted(client: Client, from: string, to: string, toMark: number): Promise<number> {
  let removed = 0;
  for await (const hits of scan(client, to, { range: { _seq_no: { lte: toMark } } })) {
    const old = await client.mget({ index: from, ids: hits.flatMap((hit) => (hit._id ? [hit._id] : [])), _source: false });
    const kept = new Set(old.docs.flatMap((doc) => ('found' in doc && doc.found ? [doc._id] : [])));
    const operations = hits
      .filter((hit) => hit._id !== undefined && !kept.has(hit._id))
      .map((hit) => ({ delete: { _index: to, _id: hit._id, if_seq_no: hit._seq_no, if_primary_term: hit._primary_term } }));
    if (operations.length === 0) continue;
    raiseUnexpected(await client.bulk({ operations }), `remove deleted from ${to}`);
    removed += operations.length;
  }
  return removed;
}

/**
 * Rebuilds the index behind `alias` (the definition's, or one kind's) with the definition's current settings and
 * mappings, from the index's own documents, without downtime:
 * 1. creates the next generation and copies every document into it (the alias still serves
 *    searches and the live consumer's writes from the current generation);
 * 2. moves the alias to the new generation in one atomic `_aliases` call;
 * 3. catches up: documents written to the old generation during the copy are copied, documents
 *    deleted from it during the copy are deleted (both by sequence number, never overwriting a
 *    write the live service made after the swap); then the old generation is deleted.
 * An index written before aliases were used (a concrete index with the alias's name) is moved
 * behind the alias too, but it is deleted in the swap itself, so step 3 cannot run: writes made
 * during that one copy are lost (replay them: `reindex --user`).
 */
export async function rebuildIndex(
  client: Client,
  alias: string,
  definition: SearchIndexDefinition,
  options: TemplateOptions,
  logger: AdapterLogger,
  hooks: RebuildHooks = {},
): Promise<RebuildReport> {
  const current = await concreteIndexes(client, alias);
  const from = current[0];
  if (from === undefined || current.length !== 1)
    throw new SearchIndexError(`alias ${alias} points at ${current.length} indexes; a rebuild needs exactly one`);
  const legacy = from === alias;
  const to = generationName(alias, generationOf(alias, from) + 1);
  // A leftover of an interrupted rebuild is not behind the alias: start it afresh.
  await client.indices.delete({ index: to }, { ignore: [404] });
  await createConcrete(client, to, definition, options);
  await client.indices.refresh({ index: from });
  const fromMark = await highestSeqNo(client, from);
  const copied = await copyAll(client, from, to);
  await hooks.afterCopy?.(alias);
  await client.indices.refresh({ index: to });
  const toMark = await highestSeqNo(client, to);
  const actions: estypes.IndicesUpdateAliasesAction[] = legacy
    ? [{ remove_index: { index: from } }, { add: { index: to, alias, is_write_index: true } }]
    : [{ add: { index: to, alias, is_write_index: true } }, { remove: { index: from, alias } }];
  await client.indices.updateAliases({ actions });
  logger.info({ alias, from, to, copied }, 'search index rebuilt: alias moved');
  if (legacy) return { alias, from, to, copied, caughtUp: 0, removed: 0 };
  await client.indices.refresh({ index: from });
  const caughtUp = await catchUp(client, from, to, fromMark, toMark);
  const removed = await removeDeleted(client, from, to, toMark);
  await client.indices.delete({ index: from });
  logger.info({ alias, from, to, caughtUp, removed }, 'search index rebuild caught up; old generation deleted');
  return { alias, from, to, copied, caughtUp, removed };
}
