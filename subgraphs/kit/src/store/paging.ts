import { codedError } from '../errors';
import type { Collection, Filter, SortDirection, StoredDocument } from './port';

/**
 * Relay connection as returned by resolvers. `totalCount` is a function so the count query runs
 * only when a client selects it (graphql-js's default resolver calls it).
 */
export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: () => Promise<number>;
}

/** Relay's paging arguments: `first`/`after` pages forward, `last`/`before` backward. */
export interface PageRequest {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** Which way a page is taken and how many rows: `first` from the start, `last` from the end. */
export interface PageSize {
  size: number;
  fromEnd: boolean;
}

/**
 * Checks the size arguments: `first` and `last` are exclusive and each between 0 and `maxSize`.
 * Absent both, `defaultSize` rows are taken from the start (or, with `defaultFromEnd`, the end).
 * A refusal is BAD_USER_INPUT naming the argument.
 */
export function pageSize(page: PageRequest, defaultSize: number, maxSize: number, defaultFromEnd = false): PageSize {
  const hasFirst = page.first !== null && page.first !== undefined;
  const hasLast = page.last !== null && page.last !== undefined;
  if (hasFirst && hasLast) throw codedError('BAD_USER_INPUT', 'Pass either first or last, not both', { field: 'last' });
  for (const field of ['first', 'last'] as const) {
    const value = page[field];
    if (value === null || value === undefined) continue;
    if (!Number.isInteger(value) || value < 0 || value > maxSize) {
      throw codedError('BAD_USER_INPUT', `${field} must be an integer between 0 and ${maxSize}`, { field });
    }
  }
  if (hasLast) return { size: page.last as number, fromEnd: true };
  if (hasFirst) return { size: page.first as number, fromEnd: false };
  return { size: defaultSize, fromEnd: defaultFromEnd };
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

/** Decodes a cursor; a malformed one is BAD_USER_INPUT naming `field` (the argument it came in). */
export function decodeCursor(cursor: string, field: 'after' | 'before' = 'after'): { sortValue: unknown; id: string } {
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
  throw codedError('BAD_USER_INPUT', `${field} is not a valid cursor`, { field });
}

function getPath(doc: object, path: string): unknown {
  let current: unknown = doc;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** The rows strictly beyond (`after`) or before (`before`) a cursor, in the collection's order. */
function keysetOf(cursor: string, field: 'after' | 'before', sortField: string, direction: SortDirection): Filter {
  const { sortValue, id } = decodeCursor(cursor, field);
  const forward = (direction === 1) === (field === 'after');
  const op = forward ? '$gt' : '$lt';
  return { $or: [{ [sortField]: { [op]: sortValue } }, { [sortField]: sortValue, _id: { [op]: id } }] };
}

/**
 * Cursor (keyset) paging over any collection: stable under concurrent inserts and deletes
 * because the cursor is the last row's (sort value, id) rather than an offset. Works the same on
 * every adapter since it only uses `$or`, range operators and sort. `first` takes rows from the
 * start of the window between `after` and `before`, `last` from its end (read in reverse order,
 * then flipped back, so a page costs `size + 1` rows either way).
 */
export async function paginate<T extends StoredDocument>(
  collection: Collection<T>,
  filter: Filter,
  page: PageRequest,
  options: PageOptions,
): Promise<Connection<T>> {
  const { size, fromEnd } = pageSize(page, options.defaultSize ?? 20, options.maxSize ?? 100);
  const { sortField, direction } = options;
  const bounds: Filter[] = [];
  if (page.after) bounds.push(keysetOf(page.after, 'after', sortField, direction));
  if (page.before) bounds.push(keysetOf(page.before, 'before', sortField, direction));
  const parts = Object.keys(filter).length === 0 ? bounds : [filter, ...bounds];
  const query: Filter = parts.length === 0 ? {} : parts.length === 1 ? (parts[0] as Filter) : { $and: parts };
  const read: SortDirection = fromEnd ? (direction === 1 ? -1 : 1) : direction;
  const rows = await collection.find(query, { sort: { [sortField]: read, _id: read }, limit: size + 1 });
  const more = rows.length > size;
  const taken = rows.slice(0, size);
  const nodes = fromEnd ? taken.reverse() : taken;
  const edges = nodes.map((node) => ({ cursor: encodeCursor(getPath(node, sortField), node._id), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: fromEnd ? Boolean(page.before) : more,
      hasPreviousPage: fromEnd ? more : Boolean(page.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount: () => collection.count(filter),
  };
}
