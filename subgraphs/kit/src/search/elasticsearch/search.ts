import type { Client, estypes } from '@elastic/elasticsearch';
import { SearchIndexError, SearchUnavailableError } from '../errors';
import { decodeSearchCursor, type SearchCursor } from '../cursor';
import { normalizeFilters, withKeywords, type NormalizedFilters } from '../filters';
import type { SearchHit, SearchIndexDefinition, SearchRequest, SearchResult } from '../port';
import { fuseHybrid, keywordCursor, pageOfWindow, topRanked, type RankedId } from '../ranking';
import { rankWindowSize } from '../validate';
import { toHit, type SourceDocument } from './hits';
import { filterClauses, highlight, keywordQuery, knnSearch, SCORE_THEN_ID } from './queries';

/** Vectors are never read back: they are large and callers never need them. */
const SOURCE: estypes.SearchSourceConfig = { excludes: ['vector'] };

interface Context {
  client: Client;
  index: string;
  definition: SearchIndexDefinition;
}

/** Runs a validated request. Keyword: one query. Semantic/hybrid: ranked lists, then the page's documents. */
export async function executeSearch(ctx: Context, request: SearchRequest): Promise<SearchResult> {
  const filters = normalizeFilters(request.ownerId, request.filters);
  const cursor = request.cursor ? decodeSearchCursor(request.cursor, request.mode) : undefined;
  if (request.mode === 'keyword') return keywordSearch(ctx, request.text ?? '', filters, request.size, cursor);
  const window = rankWindowSize(ctx.definition);
  const vectorFilters = withKeywords(filters, request.vectorFilter);
  let ranked: RankedId[];
  if (request.mode === 'semantic') {
    // kNN hits come ordered by score only; equal scores must follow ids, as in the embedded engine.
    ranked = topRanked(await rankedIds(ctx, { knn: knnSearch(request.vector ?? [], window, vectorFilters), size: window }), window);
  } else {
    // Both lists in one round trip; fused here (rrf.ts) rather than by Elasticsearch's retriever.
    const [keyword = [], nearest = []] = await rankedLists(ctx, [
      { query: keywordQuery(ctx.definition, request.text ?? '', filters), sort: SCORE_THEN_ID, size: window },
      { knn: knnSearch(request.vector ?? [], window, vectorFilters), size: window },
    ]);
    ranked = fuseHybrid(keyword, nearest, window);
  }
  const { page, cursor: next } = pageOfWindow(request.mode, ranked, request.size, cursor);
  return { hits: await documentsOf(ctx, page, filters, request.text), cursor: next, total: ranked.length };
}

async function keywordSearch(
  ctx: Context,
  text: string,
  filters: NormalizedFilters,
  size: number,
  cursor: SearchCursor | undefined,
): Promise<SearchResult> {
  const response = await ctx.client.search<SourceDocument>({
    index: ctx.index,
    query: keywordQuery(ctx.definition, text, filters),
    sort: SCORE_THEN_ID,
    search_after: cursor?.mode === 'keyword' ? [cursor.score, cursor.id] : undefined,
    size: size + 1,
    // Exact: the owner's matches are few enough to count (it only gives up early termination).
    track_total_hits: true,
    track_scores: true,
    _source: SOURCE,
    highlight: highlight(ctx.definition),
  });
  const rows = response.hits.hits.slice(0, size);
  const hits = rows.flatMap((hit) => toHit(ctx.definition, hit, scoreOf(hit)) ?? []);
  const last = rows[rows.length - 1];
  const lastRanked = last?._id === undefined ? undefined : { id: last._id, score: scoreOf(last) };
  const total = response.hits.total;
  return {
    hits,
    cursor: keywordCursor(lastRanked, response.hits.hits.length > size),
    total: typeof total === 'number' ? total : (total?.value ?? 0),
  };
}

type RankingBody = Pick<estypes.SearchRequest, 'query' | 'knn' | 'sort' | 'size'>;

/** With a sort, `sort[0]` is the exact `_score` Elasticsearch compares in `search_after`. */
function scoreOf(hit: estypes.SearchHit<unknown>): number {
  const sorted = hit.sort?.[0];
  return typeof sorted === 'number' ? sorted : (hit._score ?? 0);
}

function idsAndScores(response: estypes.SearchResponse | estypes.MsearchResponseItem): RankedId[] {
  if ('error' in response) {
    const message = `Elasticsearch msearch failed: ${response.error.type}: ${response.error.reason ?? ''}`;
    throw response.status === 429 || response.status === 503 ? new SearchUnavailableError(message) : new SearchIndexError(message);
  }
  return response.hits.hits.flatMap((hit) => (hit._id === undefined ? [] : [{ id: hit._id, score: scoreOf(hit) }]));
}

async function rankedIds(ctx: Context, body: RankingBody): Promise<RankedId[]> {
  const response = await ctx.client.search({ index: ctx.index, ...body, _source: false, track_total_hits: false });
  return idsAndScores(response);
}

async function rankedLists(ctx: Context, bodies: RankingBody[]): Promise<RankedId[][]> {
  const searches = bodies.flatMap((body) => [{}, { ...body, _source: false, track_total_hits: false, track_scores: true }]);
  const response = await ctx.client.msearch({ index: ctx.index, searches });
  return response.responses.map(idsAndScores);
}

/** Fetches the page's documents and highlights, keeping the ranked order and scores. */
async function documentsOf(ctx: Context, page: RankedId[], filters: NormalizedFilters, text: string | undefined): Promise<SearchHit[]> {
  if (page.length === 0) return [];
  const response = await ctx.client.search<SourceDocument>({
    index: ctx.index,
    // Owner filter again: the ids came from owner-filtered lists, but this query must stand alone.
    query: { bool: { filter: [...filterClauses(filters), { ids: { values: page.map((entry) => entry.id) } }] } },
    size: page.length,
    _source: SOURCE,
    highlight: highlight(ctx.definition, text),
  });
  const byId = new Map(response.hits.hits.map((hit) => [hit._id, hit]));
  // A document deleted between the two queries is left out rather than shown empty.
  return page.flatMap((entry) => {
    const hit = byId.get(entry.id);
    return (hit && toHit(ctx.definition, hit, entry.score)) ?? [];
  });
}
