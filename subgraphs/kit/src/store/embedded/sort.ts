import { UnsupportedQueryError } from '../errors';
import type { Sort } from '../port';
import type { StoredDoc, StoredValue } from './codec';
import { valuesAtPath } from './paths';

/**
 * Mongo's cross-type order (BSON comparison order) for the types the store holds:
 * null/missing < numbers < strings < objects < arrays < booleans < dates.
 */
function typeRank(value: StoredValue | undefined): number {
  if (value === null || value === undefined) return 1;
  if (typeof value === 'number') return 2;
  if (typeof value === 'string') return 3;
  if (typeof value === 'boolean') return 8;
  if (value instanceof Date) return 9;
  return Array.isArray(value) ? 5 : 4;
}

/**
 * Compares two stored values in Mongo order. Strings compare by UTF-16 code units, the same
 * comparison mingo applies for `$gt`/`$lt`, so keyset paging agrees with sorting.
 */
export function compareValues(a: StoredValue | undefined, b: StoredValue | undefined): number {
  const rank = typeRank(a) - typeRank(b);
  if (rank !== 0) return Math.sign(rank);
  if (typeof a === 'number' && typeof b === 'number') {
    // NaN sorts below every other number, as in Mongo.
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof Date && b instanceof Date) return Math.sign(a.getTime() - b.getTime());
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareValues(a[i], b[i]);
      if (c !== 0) return c;
    }
    return Math.sign(a.length - b.length);
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    // Embedded documents: field by field, name then value, in stored order (as BSON does).
    const ea = Object.entries(a);
    const eb = Object.entries(b);
    for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
      const [ka, va] = ea[i] as [string, StoredValue];
      const [kb, vb] = eb[i] as [string, StoredValue];
      const c = compareValues(va, vb) || (ka < kb ? -1 : ka > kb ? 1 : 0);
      if (c !== 0) return c;
    }
    return Math.sign(ea.length - eb.length);
  }
  return 0;
}

/** The value a document sorts by: for arrays, the smallest element ascending and the largest descending (Mongo). */
function sortKey(doc: StoredDoc, path: string, direction: 1 | -1): StoredValue | undefined {
  const values = valuesAtPath(doc, path);
  let best: StoredValue | undefined;
  for (const value of values) {
    if (best === undefined || compareValues(value, best) * direction < 0) best = value;
  }
  return best;
}

/** Throws `UnsupportedQueryError` unless every direction is 1 or -1. */
export function checkSort(sort: unknown): asserts sort is Sort {
  if (sort === null || typeof sort !== 'object' || Array.isArray(sort)) throw new UnsupportedQueryError('sort must be an object');
  for (const [field, direction] of Object.entries(sort)) {
    if (direction !== 1 && direction !== -1) throw new UnsupportedQueryError(`sort direction for ${field} must be 1 or -1`);
  }
}

/**
 * Sorts documents (stable, so ties keep insertion order). Sort keys are computed once per
 * document rather than once per comparison.
 */
export function sortDocs(docs: readonly StoredDoc[], sort: Sort): StoredDoc[] {
  const fields = Object.entries(sort);
  if (fields.length === 0) return [...docs];
  const keyed = docs.map((doc) => ({ doc, keys: fields.map(([path, direction]) => sortKey(doc, path, direction)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < fields.length; i++) {
      const direction = (fields[i] as [string, 1 | -1])[1];
      const c = compareValues(a.keys[i], b.keys[i]);
      if (c !== 0) return c * direction;
    }
    return 0;
  });
  return keyed.map((entry) => entry.doc);
}
