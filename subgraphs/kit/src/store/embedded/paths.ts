import { isPlainObject, type StoredObject, type StoredValue } from './codec';

/** Dotted-path access with Mongo's conventions, shared by sorting, indexes and updates. */

const INDEX = /^(0|[1-9][0-9]*)$/;

function isContainer(value: StoredValue | undefined): value is StoredObject | StoredValue[] {
  return value !== null && typeof value === 'object' && !(value instanceof Date);
}

/**
 * Every value a path reaches, descending into arrays the way Mongo's multikey indexes and sorts
 * do: `items.id` yields the `id` of every element of `items`, and a terminal array yields its
 * elements (nested arrays flattened too, so index lookups are a superset of query matches).
 * Missing paths yield nothing.
 */
export function valuesAtPath(doc: StoredObject, path: string): StoredValue[] {
  const out: StoredValue[] = [];
  collect(doc, path.split('.'), 0, out);
  return out;
}

function collect(current: StoredValue | undefined, parts: string[], at: number, out: StoredValue[]): void {
  if (current === undefined) return;
  if (at === parts.length) {
    flattenInto(current, out);
    return;
  }
  const part = parts[at] as string;
  if (Array.isArray(current)) {
    if (INDEX.test(part)) collect(current[Number(part)], parts, at + 1, out);
    for (const item of current) if (isContainer(item) && !Array.isArray(item)) collect(item[part], parts, at + 1, out);
    return;
  }
  if (isContainer(current)) collect(current[part], parts, at + 1, out);
}

function flattenInto(value: StoredValue, out: StoredValue[]): void {
  if (Array.isArray(value)) for (const item of value) flattenInto(item, out);
  else out.push(value);
}

/**
 * Whether a path reaches anything in `doc` (null and empty arrays included), descending into
 * arrays as `valuesAtPath` does: a superset of the documents `{ path: { $exists: true } }` matches.
 */
export function pathExists(doc: StoredObject, path: string): boolean {
  return reaches(doc, path.split('.'), 0);
}

function reaches(current: StoredValue | undefined, parts: string[], at: number): boolean {
  if (current === undefined) return false;
  if (at === parts.length) return true;
  const part = parts[at] as string;
  if (Array.isArray(current)) {
    if (INDEX.test(part) && reaches(current[Number(part)], parts, at + 1)) return true;
    return current.some((item) => isContainer(item) && !Array.isArray(item) && reaches(item[part], parts, at + 1));
  }
  return isContainer(current) && reaches(current[part], parts, at + 1);
}

/** The value at a path without array expansion (numeric segments index arrays); `undefined` when missing. */
export function getPath(doc: StoredObject, path: string): StoredValue | undefined {
  let current: StoredValue | undefined = doc;
  for (const part of path.split('.')) {
    if (Array.isArray(current)) current = INDEX.test(part) ? current[Number(part)] : undefined;
    else if (isContainer(current)) current = current[part];
    else return undefined;
  }
  return current;
}

/** Raised when an update path runs through a scalar (Mongo: "Cannot create field ... in element"). */
export class PathConflictError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.name = 'PathConflictError';
    this.path = path;
  }
}

/** Sets a value, creating missing intermediate objects; numeric segments index (and pad) arrays. */
export function setPath(doc: StoredObject, path: string, value: StoredValue): void {
  const parts = path.split('.');
  let current: StoredObject | StoredValue[] = doc;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const last = i === parts.length - 1;
    if (Array.isArray(current)) {
      if (!INDEX.test(part)) throw new PathConflictError(path, `cannot create field '${part}' in an array at '${path}'`);
      const index = Number(part);
      // Mongo pads with nulls when setting beyond the end of an array.
      while (current.length < index) current.push(null);
      if (last) {
        current[index] = value;
        return;
      }
      const array: StoredValue[] = current;
      current = ensureContainer(array[index], path, part, (created) => (array[index] = created));
    } else {
      if (last) {
        current[part] = value;
        return;
      }
      const holder: StoredObject = current;
      current = ensureContainer(holder[part], path, part, (created) => (holder[part] = created));
    }
  }
}

function ensureContainer(
  next: StoredValue | undefined,
  path: string,
  part: string,
  create: (created: StoredObject) => void,
): StoredObject | StoredValue[] {
  if (next === undefined || next === null) {
    const created: StoredObject = {};
    create(created);
    return created;
  }
  if (Array.isArray(next) || isPlainObject(next)) return next as StoredObject | StoredValue[];
  throw new PathConflictError(path, `cannot create a field below '${part}' because it holds a scalar (at '${path}')`);
}

/** Removes the value at a path (an array element is set to null, as Mongo does); missing paths are ignored. */
export function unsetPath(doc: StoredObject, path: string): void {
  const parts = path.split('.');
  const leaf = parts.pop() as string;
  const parent = parts.length === 0 ? doc : getPath(doc, parts.join('.'));
  if (Array.isArray(parent)) {
    if (INDEX.test(leaf) && Number(leaf) < parent.length) parent[Number(leaf)] = null;
  } else if (isContainer(parent)) {
    delete parent[leaf];
  }
}
