import { UnsupportedQueryError } from '../errors';
import type { Update } from '../port';
import { isPlainObject, normalizeValue, valuesEqual, type StoredObject, type StoredValue } from './codec';
import { checkFilter, isOperatorObject } from './filter';
import { getPath, setPath, unsetPath } from './paths';
import { compileQuery } from './query';

/** Update operators of the port, applied to a private copy of one document. */

const OPERATORS = new Set(['$set', '$unset', '$inc', '$push', '$pull', '$setOnInsert']);

function checkPath(path: string, op: string): void {
  if (path === '' || path.split('.').some((part) => part === '' || part.startsWith('$'))) {
    throw new UnsupportedQueryError(`${op}: path '${path}' is not supported (positional operators are not)`);
  }
}

function checkPushValue(path: string, value: unknown): void {
  if (!isOperatorObject(value)) return;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== '$each' || !Array.isArray(value.$each)) {
    throw new UnsupportedQueryError(`$push on ${path}: only a value or { $each: [...] } is supported`);
  }
}

function checkPullCondition(path: string, value: unknown): void {
  // An operator condition applies to each element; a plain object is a query on element documents.
  if (isOperatorObject(value)) checkFilter({ [path]: value }, `$pull.${path}`);
  else if (isPlainObject(value)) checkFilter(value, `$pull.${path}`);
  else checkFilter({ [path]: value }, `$pull.${path}`);
}

/**
 * Throws `UnsupportedQueryError` unless `update` uses only the port's operators with sensible
 * operands, and no two operators touch the same path or a path and its parent (MongoDB refuses
 * those as conflicting too).
 */
export function checkUpdate(update: unknown): asserts update is Update {
  if (!isPlainObject(update)) throw new UnsupportedQueryError('an update must be a plain object of operators');
  const entries = Object.entries(update);
  if (entries.length === 0) throw new UnsupportedQueryError('an update needs at least one operator');
  const paths: string[] = [];
  for (const [op, fields] of entries) {
    if (!OPERATORS.has(op)) throw new UnsupportedQueryError(`update operator ${op} is not supported`);
    if (!isPlainObject(fields)) throw new UnsupportedQueryError(`${op} needs an object of paths`);
    for (const [path, value] of Object.entries(fields)) {
      checkPath(path, op);
      if (op === '$inc' && typeof value !== 'number') throw new UnsupportedQueryError(`$inc on ${path} needs a number`);
      if (op === '$push') checkPushValue(path, value);
      if (op === '$pull') checkPullCondition(path, value);
      paths.push(path);
    }
  }
  paths.sort();
  for (let i = 1; i < paths.length; i++) {
    const previous = paths[i - 1] as string;
    const path = paths[i] as string;
    if (path === previous || path.startsWith(`${previous}.`)) {
      throw new UnsupportedQueryError(`updating the path '${path}' would create a conflict at '${previous}'`);
    }
  }
}

/** Raised when an operator does not fit the document (e.g. `$inc` on a string); nothing is written. */
export class UpdateApplyError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.name = 'UpdateApplyError';
    this.path = path;
  }
}

function pullMatcher(condition: unknown): (element: StoredValue) => boolean {
  if (isOperatorObject(condition)) {
    const query = compileQuery({ value: condition });
    return (element) => query.test({ value: element });
  }
  if (isPlainObject(condition)) {
    const query = compileQuery(condition);
    return (element) => isPlainObject(element) && query.test(element);
  }
  const literal = normalizeValue(condition);
  return (element) => valuesEqual(element, literal);
}

function arrayAt(doc: StoredObject, path: string, op: string): StoredValue[] | undefined {
  const current = getPath(doc, path);
  if (current === undefined || current === null) return undefined;
  if (!Array.isArray(current)) throw new UpdateApplyError(path, `cannot apply ${op} to a non-array value`);
  return current;
}

/**
 * Applies `update` to `doc` in place. `doc` must be a private copy: on error it is left
 * half-updated and the caller discards it. `$setOnInsert` applies only when `inserting`.
 * Throws `UpdateApplyError`, `PathConflictError` (paths.ts) or `UnsupportedValueError` (codec.ts) when an operator does not fit the document.
 */
export function applyUpdate(doc: StoredObject, update: Update, inserting: boolean): void {
  if (inserting && update.$setOnInsert) {
    for (const [path, value] of Object.entries(update.$setOnInsert)) setPath(doc, path, normalizeValue(value, path));
  }
  for (const [path, value] of Object.entries(update.$set ?? {})) setPath(doc, path, normalizeValue(value, path));
  for (const path of Object.keys(update.$unset ?? {})) unsetPath(doc, path);
  for (const [path, amount] of Object.entries(update.$inc ?? {})) {
    const current = getPath(doc, path);
    if (current === undefined) setPath(doc, path, amount);
    else if (typeof current === 'number') setPath(doc, path, current + amount);
    else throw new UpdateApplyError(path, 'cannot apply $inc to a non-numeric value');
  }
  for (const [path, value] of Object.entries(update.$push ?? {})) {
    const items = isOperatorObject(value) && Array.isArray(value.$each) ? value.$each : [value];
    const normalized = items.map((item: unknown) => normalizeValue(item, path));
    const current = arrayAt(doc, path, '$push');
    if (current) current.push(...normalized);
    else setPath(doc, path, normalized);
  }
  for (const [path, condition] of Object.entries(update.$pull ?? {})) {
    const current = arrayAt(doc, path, '$pull');
    if (!current) continue;
    const matches = pullMatcher(condition);
    setPath(
      doc,
      path,
      current.filter((element) => !matches(element)),
    );
  }
}
