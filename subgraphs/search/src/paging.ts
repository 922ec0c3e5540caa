import { codedError } from '@chatgraph/kit';
import { MAX_SEARCH_PAGE_SIZE } from '@chatgraph/kit/search';

/** Page size when neither `first` nor `last` is given. */
export const DEFAULT_PAGE_SIZE = 20;

/** Relay's paging arguments of `search`. */
export interface SearchPagingArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** The port's paging fields for the arguments. */
export interface EnginePaging {
  size: number;
  cursor: string | null;
  before: string | null;
  backward: boolean;
}

const given = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined;

/**
 * Checks Relay's arguments: `first`/`after` page forward, `last`/`before` backward; the two ways
 * do not mix (`first` with `last` or `before`, `last` with `after`, `after` with `before` are
 * refused, as is a size outside 1..100), each refusal BAD_USER_INPUT naming the argument.
 */
export function enginePaging(args: SearchPagingArgs): EnginePaging {
  const backward = given(args.last) || given(args.before);
  if (backward && (given(args.first) || given(args.after))) {
    const field = given(args.first) ? 'first' : 'after';
    throw codedError('BAD_USER_INPUT', 'page forward (first/after) or backward (last/before), not both', { field });
  }
  const field = backward ? 'last' : 'first';
  const size = (backward ? args.last : args.first) ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_SEARCH_PAGE_SIZE)
    throw codedError('BAD_USER_INPUT', `${field} must be from 1 to ${MAX_SEARCH_PAGE_SIZE}`, { field });
  return { size, cursor: args.after ?? null, before: args.before ?? null, backward };
}
