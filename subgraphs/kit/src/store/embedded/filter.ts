import { UnsupportedQueryError } from '../errors';
import type { Filter } from '../port';
import { isPlainObject, type StoredDoc } from './codec';
import { compileQuery } from './query';

/**
 * Filters: checked against the port's operator subset, then matched with mingo. Checking first
 * keeps the embedded store from accepting queries the MongoDB adapter (or FerretDB) would treat
 * differently, so code that passes tests here behaves the same in production.
 */

const FIELD_OPERATORS = new Set(['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$exists']);

/** An object whose keys are all `$` operators (`{ $gt: 1 }`), as opposed to a literal sub-document. */
export function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.some((key) => key.startsWith('$'));
}

function checkLiteral(value: unknown, where: string): void {
  if (value instanceof RegExp) throw new UnsupportedQueryError(`${where}: regular expressions are not supported`);
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    throw new UnsupportedQueryError(`${where}: values of type ${typeof value} are not supported`);
  }
  if (Array.isArray(value)) {
    value.forEach((item: unknown, i) => checkLiteral(item, `${where}.${i}`));
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key.startsWith('$')) throw new UnsupportedQueryError(`${where}: operator ${key} is not supported here`);
      checkLiteral(item, `${where}.${key}`);
    }
  }
}

function checkFieldCondition(path: string, condition: Record<string, unknown>): void {
  for (const [op, operand] of Object.entries(condition)) {
    if (!op.startsWith('$')) {
      throw new UnsupportedQueryError(`${path}: cannot mix operators and fields in one condition`);
    }
    if (!FIELD_OPERATORS.has(op)) throw new UnsupportedQueryError(`${path}: operator ${op} is not supported`);
    if (op === '$in' || op === '$nin') {
      if (!Array.isArray(operand)) throw new UnsupportedQueryError(`${path}: ${op} needs an array`);
    } else if (op === '$exists') {
      if (typeof operand !== 'boolean' && operand !== 0 && operand !== 1) {
        throw new UnsupportedQueryError(`${path}: $exists needs a boolean`);
      }
    }
    checkLiteral(operand, `${path}.${op}`);
  }
}

/** Throws `UnsupportedQueryError` unless `filter` stays within the port's supported subset. */
export function checkFilter(filter: unknown, where = 'filter'): asserts filter is Filter {
  if (!isPlainObject(filter)) throw new UnsupportedQueryError(`${where} must be a plain object`);
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0) throw new UnsupportedQueryError(`${key} needs a non-empty array`);
      value.forEach((clause: unknown, i) => checkFilter(clause, `${where}.${key}.${i}`));
    } else if (key.startsWith('$')) {
      throw new UnsupportedQueryError(`operator ${key} is not supported`);
    } else {
      if (key === '' || key.split('.').some((part) => part === '' || part.startsWith('$'))) {
        throw new UnsupportedQueryError(`field path '${key}' is not supported`);
      }
      if (isOperatorObject(value)) checkFieldCondition(key, value);
      else checkLiteral(value, key);
    }
  }
}

export type Predicate = (doc: StoredDoc) => boolean;

/** Checks the filter and compiles it to a predicate (an empty filter matches everything). */
export function compileFilter(filter: unknown): Predicate {
  checkFilter(filter);
  if (Object.keys(filter).length === 0) return () => true;
  const query = compileQuery(filter);
  return (doc) => query.test(doc);
}

/**
 * The `field: value` equalities a filter pins down (plain values and `$eq`, through `$and`
 * and one-clause `$or`), in order. An upsert builds its new document from them,
 * as MongoDB does; index lookups use them to narrow the scan.
 */
export function equalityFields(filter: Filter): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(value)) {
      for (const clause of value) if (isPlainObject(clause)) out.push(...equalityFields(clause));
    } else if (key === '$or' && Array.isArray(value) && value.length === 1 && isPlainObject(value[0])) {
      out.push(...equalityFields(value[0]));
    } else if (key.startsWith('$')) {
      continue;
    } else if (!isOperatorObject(value)) {
      out.push([key, value]);
    } else if ('$eq' in value) {
      out.push([key, value.$eq]);
    }
  }
  return out;
}
