import { codedError } from '../errors';
import type { SearchMode } from './port';

/**
 * Paging cursors, opaque to callers. Keyword results page by keyset (`search_after` on the last
 * hit's score and id), so they can go arbitrarily deep. Semantic and hybrid results are a ranked
 * window (the fused or nearest lists are cut at `rankWindowSize`), paged by offset within it.
 */
export type SearchCursor = { mode: 'keyword'; score: number; id: string } | { mode: 'semantic' | 'hybrid'; offset: number };

type Encoded = ['k', number, string] | ['s' | 'h', number];

export function encodeSearchCursor(cursor: SearchCursor): string {
  const encoded: Encoded =
    cursor.mode === 'keyword' ? ['k', cursor.score, cursor.id] : [cursor.mode === 'semantic' ? 's' : 'h', cursor.offset];
  return Buffer.from(JSON.stringify(encoded)).toString('base64url');
}

function parse(text: string): SearchCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value)) return undefined;
    const [tag, first, second] = value as unknown[];
    if (tag === 'k' && typeof first === 'number' && Number.isFinite(first) && typeof second === 'string' && value.length === 3) {
      return { mode: 'keyword', score: first, id: second };
    }
    if ((tag === 's' || tag === 'h') && Number.isInteger(first) && (first as number) >= 0 && value.length === 2) {
      return { mode: tag === 's' ? 'semantic' : 'hybrid', offset: first as number };
    }
  } catch {
    // an unparsable cursor is reported below like any other invalid one
  }
  return undefined;
}

/** Decodes a cursor for `mode`; a malformed cursor, or one from another mode, is the user's error. */
export function decodeSearchCursor(text: string, mode: SearchMode): SearchCursor {
  const cursor = parse(text);
  if (!cursor || cursor.mode !== mode)
    throw codedError('BAD_USER_INPUT', 'after is not a valid cursor for this search', { field: 'after' });
  return cursor;
}
