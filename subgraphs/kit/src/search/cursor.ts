import { createHash } from 'node:crypto';
import { codedError } from '../errors';
import type { SearchMode } from './port';

/**
 * Paging cursors, opaque to callers; each names one hit's position in one owner's result list.
 * Keyword results page by keyset (the hit's score and id: `search_after`), so they can go
 * arbitrarily deep. Semantic and hybrid results are a ranked window (the fused or nearest lists
 * are cut at `rankWindowSize`), and a cursor is the hit's position in it.
 *
 * Every cursor carries a tag of the owner it was issued to: another owner's cursor is refused
 * (the owner filter would keep their documents out anyway; the refusal says the client mixed
 * up searches rather than silently paging from a meaningless position).
 */
export type SearchCursor = { mode: 'keyword'; score: number; id: string } | { mode: 'semantic' | 'hybrid'; position: number };

type Encoded = ['k', number, string, string] | ['s' | 'h', number, string];

/** A short digest of the owner id: binds a cursor to its owner without spelling the id out. */
function ownerTag(ownerId: string): string {
  return createHash('sha256').update(ownerId).digest('base64url').slice(0, 11);
}

export function encodeSearchCursor(cursor: SearchCursor, ownerId: string): string {
  const tag = ownerTag(ownerId);
  const encoded: Encoded =
    cursor.mode === 'keyword' ? ['k', cursor.score, cursor.id, tag] : [cursor.mode === 'semantic' ? 's' : 'h', cursor.position, tag];
  return Buffer.from(JSON.stringify(encoded)).toString('base64url');
}

function parse(text: string): { cursor: SearchCursor; owner: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value)) return undefined;
    const [tag, first, second, third] = value as unknown[];
    if (tag === 'k' && typeof first === 'number' && Number.isFinite(first) && typeof second === 'string' && typeof third === 'string') {
      return value.length === 4 ? { cursor: { mode: 'keyword', score: first, id: second }, owner: third } : undefined;
    }
    if (
      (tag === 's' || tag === 'h') &&
      Number.isInteger(first) &&
      (first as number) >= 0 &&
      typeof second === 'string' &&
      value.length === 3
    ) {
      return { cursor: { mode: tag === 's' ? 'semantic' : 'hybrid', position: first as number }, owner: second };
    }
  } catch {
    // an unparsable cursor is reported below like any other invalid one
  }
  return undefined;
}

/**
 * Decodes a cursor for `mode` and `ownerId`; a malformed cursor, one from another mode, or one
 * issued to another owner is the user's error (BAD_USER_INPUT naming `field`).
 */
export function decodeSearchCursor(text: string, mode: SearchMode, ownerId: string, field: 'after' | 'before' = 'after'): SearchCursor {
  const parsed = parse(text);
  if (!parsed || parsed.cursor.mode !== mode)
    throw codedError('BAD_USER_INPUT', `${field} is not a valid cursor for this search`, { field });
  if (parsed.owner !== ownerTag(ownerId)) throw codedError('BAD_USER_INPUT', `${field} is a cursor of another user's search`, { field });
  return parsed.cursor;
}
