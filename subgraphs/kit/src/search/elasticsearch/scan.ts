import type { Client } from '@elastic/elasticsearch';
import type { StoredSearchDocument } from '../port';
import { fromSource, type SourceDocument } from './hits';
import { keywordPath } from './mappings';

/**
 * `scanNotMatching` on Elasticsearch: every owner's documents whose keyword field holds none of
 * the values (`must_not`, so documents without the field match), sorted by our id copy and paged
 * with `search_after`, without their vectors.
 */
export async function scanNotMatching(
  client: Client,
  index: string,
  field: string,
  values: readonly string[],
  after: string | null,
  size: number,
): Promise<StoredSearchDocument[]> {
  const response = await client.search<SourceDocument>({
    index,
    query: { bool: { must_not: values.length > 0 ? [{ terms: { [keywordPath(field)]: [...values] } }] : [] } },
    sort: [{ id: { order: 'asc' } }],
    ...(after !== null ? { search_after: [after] } : {}),
    size,
    track_total_hits: false,
    _source: { excludes: ['vector'] },
  });
  return response.hits.hits.flatMap((hit) => (hit._source ? [fromSource(hit._source)] : []));
}
