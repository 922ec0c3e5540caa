import type { Client, estypes } from '@elastic/elasticsearch';
import type { AdapterLogger } from '../../adapterLogger';
import type { SearchIndexDefinition } from '../port';
import { concreteIndexes, ensureAliasedIndex } from './aliases';
import type { IndexLayout } from './layout';
import type { TemplateOptions } from './mappings';
import { raiseUnexpected, scan } from './rebuild';

/** What the one-time split of a single-index deployment did. */
export interface SplitReport {
  /** The concrete indexes of the old single alias, deleted afterwards. */
  from: string[];
  /** Documents copied per kind alias. */
  copied: Record<string, number>;
  /** Documents of kinds the definition does not declare: not copied, gone with the old index. */
  dropped: number;
}

/**
 * Moves a deployment from one index for every kind (the alias `<name>`, as before kinds were
 * split) to an index per kind, once, when the adapter starts and finds the old alias: each kind's
 * documents are copied to its own alias (created if need be) with `create`, so a document the new
 * layout already holds (written by an already-split replica) is kept, never overwritten; then the
 * old indexes are deleted. Later starts find no old alias and do nothing.
 *
 * What it cannot do: writes made to the old alias during the copy, by replicas of the previous
 * version still running, are lost with the old index (stop them first, or replay: `reindex
 * --user`). Two replicas starting at once both copy (harmlessly: `create`); the one that finds
 * the old index deleted under it fails its start and, restarted, finds the split done.
 */
export async function splitSingleIndex(
  client: Client,
  layout: IndexLayout,
  definition: SearchIndexDefinition,
  options: TemplateOptions,
  logger: AdapterLogger,
): Promise<SplitReport | undefined> {
  const legacy = layout.legacyAlias;
  if (legacy === undefined) return undefined;
  const from = await concreteIndexes(client, legacy);
  if (from.length === 0) return undefined;
  // Searches see only refreshed documents: the last writes to the old index must be copied too.
  await client.indices.refresh({ index: legacy });
  const copied: Record<string, number> = {};
  for (const kind of definition.kinds ?? []) {
    const alias = layout.aliasOf(kind);
    if (alias === undefined) continue;
    await ensureAliasedIndex(client, alias, definition, options);
    let count = 0;
    for await (const hits of scan(client, legacy, { term: { kind } })) {
      const operations = hits.flatMap((hit) => [{ create: { _index: alias, _id: hit._id } }, hit._source]);
      raiseUnexpected(await client.bulk({ operations: operations as estypes.BulkRequest['operations'] }), `split ${legacy} -> ${alias}`);
      count += hits.length;
    }
    copied[alias] = count;
  }
  const left = await client.count({ index: legacy, query: { bool: { must_not: [{ terms: { kind: [...(definition.kinds ?? [])] } }] } } });
  for (const concrete of from) await client.indices.delete({ index: concrete }, { ignore: [404] });
  const report: SplitReport = { from, copied, dropped: left.count };
  logger.info({ ...report }, 'search index split by kind: one index per kind, the single index deleted');
  return report;
}
