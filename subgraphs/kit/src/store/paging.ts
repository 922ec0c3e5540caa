import { codedError } from '../errors';
import type { Collection, Filter, SortDirection, StoredDocument } from './port';

/** Relay connection as returned by resolvers. */
export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount?: number;
}

export interface PageRequest {
  first?: number | null;
  after?: string | null;
}

export interface PageOptions {
  /** Field ordered on; `_id` breaks ties so a cursor names exactly one position. */
  sortField: string;
  direction: SortDirection;
  defaultSize?: number;
  maxSize?: number;
}

type CursorValue = string | number | boolean | null | { d: string };

function encodeValue(value: unknown): CursorValue {
  if (value instanceof Date) return { d: value.toISOString() };
  if (value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  throw new TypeError('cursor values must be scalars or dates');
}

function decodeValue(value: CursorValue): unknown {
  return value !== null && typeof value === 'object' ? new Date(value.d) : value;
}

export function encodeCursor(sortValue: unknown, id: string): string {
  return Buffer.from(JSON.stringify([encodeValue(sortValue), id])).toString('base64url');
}

export function decodeCursor(cursor: string): { sortValue: unknown; id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string') {
      const value = parsed[0] as CursorValue;
      if (value !== null && typeof value === 'object' && typeof (value as { d?: unknown }).d !== 'string') throw new Error('bad');
      return { sortValue: decodeValue(value), id: parsed[1] };
    }
  } catch {
    // fall through to the coded error
  }
  throw codedError('BAD_USER_INPUT', 'after is not a valid cursor', { field: 'after' });
}

function getPath(doc: object, path: string): unknown {
  let current: unknown = doc;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * Cursor (keyset) paging over any collection: stable under concurrent inserts and deletes
 * because the cursor is the last row's (sort value, id) rather than an offset. Works the same on
 * every adapter since it only uses `$or`, range operators and sort.
 */
export async function paginate<T extends StoredDocument>(
  collection: Collection<T>,
  filter: Filter,
  page: PageRequest,
  options: PageOptions,
): Promise<Connection<T>> {
  const maxSize = options.maxSize ?? 100;
  const size = page.first ?? options.defaultSize ?? 20;
  if (!Number.isInteger(size) || size < 0 || size > maxSize) {
    throw codedError('BAD_USER_INPUT', `first must be an integer between 0 and ${maxSize}`, { field: 'first' });
  }
  const { sortField, direction } = options;
  const beyond = direction === 1 ? '$gt' : '$lt';
  let query: Filter = filter;
  if (page.after) {
    const { sortValue, id } = decodeCursor(page.after);
    const keyset: Filter = {
      $or: [{ [sortField]: { [beyond]: sortValue } }, { [sortField]: sortValue, _id: { [beyond]: id } }],
    };
    query = Object.keys(filter).length === 0 ? keyset : { $and: [filter, keyset] };
  }
  const rows = await collection.find(query, { sort: { [sortField]: direction, _id: direction }, limit: size + 1 });
  const nodes = rows.slice(0, size);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(getPath(node, sortField), node._id), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > size,
      hasPreviousPage: Boolean(page.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
