import { decodeSearchCursor, encodeSearchCursor, type SearchCursor } from './cursor';
import type { SearchMode, SearchRequest } from './port';
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

/** How a request pages, its cursors decoded (and checked against its mode and owner). */
export interface Paging {
  ownerId: string;
  mode: SearchMode;
  size: number;
  /** From the end of the list (`last`): the `size` hits before `before`, or the worst `size`. */
  backward: boolean;
  after?: SearchCursor;
  before?: SearchCursor;
}

/** Decodes a validated request's paging arguments. */
export function pagingOf(request: SearchRequest): Paging {
  const { ownerId, mode, size } = request;
  const paging: Paging = { ownerId, mode, size, backward: request.backward === true || Boolean(request.before) };
  if (request.cursor) paging.after = decodeSearchCursor(request.cursor, mode, ownerId, 'after');
  if (request.before) paging.before = decodeSearchCursor(request.before, mode, ownerId, 'before');
  return paging;
}

/** A page of ranked ids, each with its own cursor, and which sides have more. */
export interface RankedPage {
  page: Array<RankedId & { cursor: string }>;
  hasNext: boolean;
  hasPrevious: boolean;
}

/** The result's `cursor`: the last hit's, when more follow. */
export function nextCursor(page: RankedPage): string | null {
  return page.hasNext ? (page.page[page.page.length - 1]?.cursor ?? null) : null;
}

/**
 * One page of a ranked window. Forward: the `size` entries after the `after` position (from the
 * start without it). Backward: the `size` entries before the `before` position (up to the end
 * without it). The flag of the side a cursor came from is true (the hit it names is there).
 */
export function pageOfWindow(paging: Paging, ranked: readonly RankedId[]): RankedPage {
  const mode = paging.mode;
  if (mode === 'keyword') throw new Error('keyword results page by keyset, not by window position');
  const positionOf = (cursor: SearchCursor | undefined): number | undefined =>
    cursor && cursor.mode !== 'keyword' ? cursor.position : undefined;
  let start: number;
  let end: number;
  if (paging.backward) {
    const before = positionOf(paging.before);
    end = before === undefined ? ranked.length : Math.min(before, ranked.length);
    start = Math.max(0, end - paging.size);
  } else {
    const after = positionOf(paging.after);
    start = after === undefined ? 0 : Math.min(after + 1, ranked.length);
    end = Math.min(start + paging.size, ranked.length);
  }
  const page = ranked
    .slice(start, end)
    .map((entry, i) => ({ ...entry, cursor: encodeSearchCursor({ mode, position: start + i }, paging.ownerId) }));
  return paging.backward
    ? { page, hasPrevious: start > 0, hasNext: paging.before !== undefined }
    : { page, hasNext: end < ranked.length, hasPrevious: paging.after !== undefined };
}

/** Whether `entry` comes before the keyset position of a keyword cursor. */
export function isBeforeKeyset(entry: RankedId, cursor: { score: number; id: string }): boolean {
  return entry.score > cursor.score || (entry.score === cursor.score && compareIds(entry.id, cursor.id) < 0);
}

/**
 * A keyword page from the rows an engine returned for it: `rows` best first, `more` whether the
 * engine had a row beyond the page on the side it read towards (forward: after; backward: before).
 */
export function keysetPage(paging: Paging, rows: readonly RankedId[], more: boolean): RankedPage {
  const page = rows.map((entry) => ({
    ...entry,
    cursor: encodeSearchCursor({ mode: 'keyword', score: entry.score, id: entry.id }, paging.ownerId),
  }));
  return paging.backward
    ? { page, hasPrevious: more, hasNext: paging.before !== undefined }
    : { page, hasNext: more, hasPrevious: paging.after !== undefined };
}

/** A keyword page of a whole scored list (the embedded engine scores every match anyway). */
export function pageOfScored(paging: Paging, scored: readonly RankedId[]): RankedPage {
  const after = paging.after?.mode === 'keyword' ? paging.after : undefined;
  const before = paging.before?.mode === 'keyword' ? paging.before : undefined;
  const sorted = [...scored].sort(byScoreThenId);
  if (paging.backward) {
    const upTo = before ? sorted.filter((entry) => isBeforeKeyset(entry, before)) : sorted;
    return keysetPage(paging, upTo.slice(Math.max(0, upTo.length - paging.size)), upTo.length > paging.size);
  }
  const rest = after ? sorted.filter((entry) => isAfterKeyset(entry, after)) : sorted;
  return keysetPage(paging, rest.slice(0, paging.size), rest.length > paging.size);
}
