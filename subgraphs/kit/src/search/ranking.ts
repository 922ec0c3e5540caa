import { encodeSearchCursor, type SearchCursor } from './cursor';
import { compareIds, fuseByReciprocalRank } from './rrf';

/**
 * Ordering and paging shared by both adapters: given the same scored lists they return the same
 * pages, so semantic and hybrid results agree across engines whenever the lists do.
 */

export interface RankedId {
  id: string;
  score: number;
}

/** Best score first; equal scores by id, as the Elasticsearch queries sort (`_score`, `id`). */
export function byScoreThenId(a: RankedId, b: RankedId): number {
  return b.score - a.score || compareIds(a.id, b.id);
}

/** Whether `entry` comes after the keyset position of a keyword cursor. */
export function isAfterKeyset(entry: RankedId, cursor: { score: number; id: string }): boolean {
  return entry.score < cursor.score || (entry.score === cursor.score && compareIds(entry.id, cursor.id) > 0);
}

/** Sorts and cuts a list to the rank window. */
export function topRanked(list: readonly RankedId[], window: number): RankedId[] {
  return [...list].sort(byScoreThenId).slice(0, window);
}

/** Hybrid ranking: reciprocal rank fusion of the keyword and nearest-neighbour lists. */
export function fuseHybrid(keyword: readonly RankedId[], nearest: readonly RankedId[], window: number): RankedId[] {
  const lists = [topRanked(keyword, window), topRanked(nearest, window)].map((list) => list.map((entry) => entry.id));
  return fuseByReciprocalRank(lists).slice(0, window);
}

/** One page of a ranked window, and the cursor of the next page if the window holds more. */
export function pageOfWindow(
  mode: 'semantic' | 'hybrid',
  ranked: readonly RankedId[],
  size: number,
  cursor: SearchCursor | undefined,
): { page: RankedId[]; cursor: string | null } {
  const offset = cursor && cursor.mode !== 'keyword' ? cursor.offset : 0;
  const page = ranked.slice(offset, offset + size);
  const next = offset + size < ranked.length ? encodeSearchCursor({ mode, offset: offset + size }) : null;
  return { page, cursor: next };
}

/** The cursor after the last hit of a keyword page that had more results. */
export function keywordCursor(last: RankedId | undefined, hasMore: boolean): string | null {
  return hasMore && last ? encodeSearchCursor({ mode: 'keyword', score: last.score, id: last.id }) : null;
}
