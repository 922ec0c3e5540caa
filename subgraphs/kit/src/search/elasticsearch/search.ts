import type { Client, estypes } from '@elastic/elasticsearch';
import { SearchIndexError, SearchUnavailableError } from '../errors';
import { normalizeFilters, withKeywords, type NormalizedFilters } from '../filters';
import type { SearchHit, SearchIndexDefinition, SearchRequest, SearchResult } from '../port';
import {
  fuseHybrid,
  keysetPage,
  nextCursor,
  pageOfWindow,
  pagingOf,
  topRanked,
  type Paging,
  type RankedId,
  type RankedPage,
} from '../ranking';
import { rankWindowSize } from '../validate';
import { toHit, type SourceDocument } from './hits';
import { filterClauses, highlight, keywordQuery, knnSearch, SCORE_THEN_ID, WORST_FIRST } from './queries';

/** Vectors are never read back: they are large and callers never need them. */
const SOURCE: estypes.SearchSourceConfig = { excludes: ['vector'] };

interface Context {
  client: Client;
  /** The aliases searched, comma-joined (every kind's the request may return: one engine query over them). */
  index: string;
  definition: SearchIndexDefinition;
}

/** Runs a validated request. Keyword: one query. Semantic/hybrid: ranked lists, then the page's documents. */
export async function executeSearch(ctx: Context, request: SearchRequest): Promise<SearchResult> {
  const filters = normalizeFilters(request.ownerId, request.filters);
  const paging = pagingOf(request);
  if (request.mode === 'keyword') return keywordSearch(ctx, request.text ?? '', filters, paging);
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
  const paged = pageOfWindow(paging, ranked);
  return { ...resultOf(paged, ranked.length), hits: await documentsOf(ctx, paged.page, filters, request.text) };
}

function resultOf(paged: RankedPage, total: number): Omit<SearchResult, 'hits'> {
  return { cursor: nextCursor(paged), hasNext: paged.hasNext, hasPrevious: paged.hasPrevious, total };
}

/**
 * Keyword pages by keyset: forward, best first after the `after` hit (`search_after`); backward,
 * the same sort reversed after the `before` hit, then turned back. One row more than the page
 * says whether more follow on that side.
 */
async function keywordSearch(ctx: Context, text: string, filters: NormalizedFilters, paging: Paging): Promise<SearchResult> {
  const from = paging.backward ? paging.before : paging.after;
  const response = await ctx.client.search<SourceDocument>({
    index: ctx.index,
    query: keywordQuery(ctx.definition, text, filters),
    sort: paging.backward ? WORST_FIRST : SCORE_THEN_ID,
    search_after: from?.mode === 'keyword' ? [from.score, from.id] : undefined,
    size: paging.size + 1,
    // Exact: the owner's matches are few enough to count (it only gives up early termination).
    track_total_hits: true,
    track_scores: true,
    _source: SOURCE,
    highlight: highlight(ctx.definition),
  });
  const rows = response.hits.hits.slice(0, paging.size);
  if (paging.backward) rows.reverse();
  const ranked = rows.flatMap((hit) => (hit._id === undefined ? [] : [{ id: hit._id, score: scoreOf(hit), hit }]));
  const paged = keysetPage(paging, ranked, response.hits.hits.length > paging.size);
  const total = response.hits.total;
  return {
    ...resultOf(paged, typeof total === 'number' ? total : (total?.value ?? 0)),
    hits: paged.page.flatMap((entry, i) => {
      const hit = ranked[i]?.hit;
      const found = hit && toHit(ctx.definition, hit, entry.score, entry.cursor);
      return found ? [found] : [];
    }),
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
async function documentsOf(
  ctx: Context,
  page: Array<RankedId & { cursor: string }>,
  filters: NormalizedFilters,
  text: string | undefined,
): Promise<SearchHit[]> {
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
    return (hit && toHit(ctx.definition, hit, entry.score, entry.cursor)) ?? [];
  });
}
