/**
 * The value model of the embedded store and its JSON encoding.
 *
 * Stored documents are trees of JSON values plus `Date`. They are normalised into fresh plain
 * objects on the way in (so no caller keeps a reference into the store) and copied on the way out.
 * On disk, dates are written as `{"$date": iso}` and non-finite numbers as `{"$number": "NaN"}`:
 * stored field names never start with `$`, so these wrappers cannot be confused with data.
 */

export type StoredValue = null | boolean | number | string | Date | StoredValue[] | StoredObject;
export interface StoredObject {
  [key: string]: StoredValue;
}
/** A normalised document as kept in memory. Never mutated once stored: writes replace it. */
export type StoredDoc = StoredObject & { _id: string };

/** A value that cannot be stored (the embedded store refuses rather than silently changing it). */
export class UnsupportedValueError extends Error {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(`${path || '(document)'}: ${reason}`);
    this.name = 'UnsupportedValueError';
    this.path = path;
    this.reason = reason;
  }
}

/** True for `{}`-style objects (including mongoose's null-prototype maps), false for class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function join(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${key}`;
}

function describe(value: object): string {
  const ctor: unknown = (value as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name ? ctor.name : 'object';
}

/**
 * Deep-copies `value` into the stored value model, refusing what Mongo-style storage cannot
 * round-trip through the journal: class instances other than Date, invalid dates, bigint,
 * functions, and field names that start with `$` or contain `.` (they would be ambiguous in
 * queries). `undefined` properties are dropped and `undefined` array items become `null`, as
 * the MongoDB driver does.
 */
export function normalizeValue(value: unknown, path = ''): StoredValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'number':
      return value;
    case 'object':
      break;
    default:
      throw new UnsupportedValueError(path, `values of type ${typeof value} cannot be stored`);
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new UnsupportedValueError(path, 'invalid date');
    return new Date(value.getTime());
  }
  if (Array.isArray(value)) return value.map((item: unknown, i) => normalizeValue(item, join(path, i)));
  if (!isPlainObject(value)) throw new UnsupportedValueError(path, `values of type ${describe(value)} cannot be stored`);
  const out: StoredObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (key.startsWith('$') || key.includes('.')) {
      throw new UnsupportedValueError(join(path, key), 'field names must not start with $ or contain a dot');
    }
    if (item !== undefined) out[key] = normalizeValue(item, join(path, key));
  }
  return out;
}

/** Deep copy of an already normalised value (cheaper than `normalizeValue`: no checks). */
export function cloneValue<V extends StoredValue>(value: V): V {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime()) as V;
  if (Array.isArray(value)) return value.map((item) => cloneValue(item)) as V;
  const out: StoredObject = {};
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (item !== undefined) out[key] = cloneValue(item);
  }
  return out as V;
}

/** Structural equality of stored values (object key order ignored, dates by instant). */
export function valuesEqual(a: StoredValue | undefined, b: StoredValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => valuesEqual(item, b[i]));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && valuesEqual(a[key], b[key]));
}

function replacer(this: unknown, key: string, value: unknown): unknown {
  // `this[key]` is the raw value: Date.prototype.toJSON has already turned `value` into a string.
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Date) return { $date: raw.toISOString() };
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  return value;
}

/** The value a `{"$date"}`/`{"$number"}` wrapper stands for, or the object itself. */
function unwrap(value: Record<string, unknown>): unknown {
  const keys = Object.keys(value);
  if (keys.length !== 1) return value;
  if (typeof value.$date === 'string') {
    const date = new Date(value.$date);
    if (Number.isNaN(date.getTime())) throw new SyntaxError(`invalid $date ${value.$date}`);
    return date;
  }
  if (value.$number === 'NaN' || value.$number === 'Infinity' || value.$number === '-Infinity') return Number(value.$number);
  return value;
}

/**
 * Replaces wrappers bottom-up, in place (the value was just parsed, nobody else holds it). A walk
 * instead of a `JSON.parse` reviver: the reviver calls back into JS for every value and made
 * loading 100,000 documents several times slower.
 */
function revive(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
    return value;
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    const child = object[key];
    const revived = revive(child);
    // defineProperty, not assignment: a parsed `__proto__` key is an own property and must stay one.
    if (revived !== child) Object.defineProperty(object, key, { value: revived, enumerable: true, writable: true, configurable: true });
  }
  return unwrap(object);
}

/** JSON text of a stored value (one line: JSON never contains a raw newline). */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}

/** Parses text written by `encodeJson`, restoring dates and non-finite numbers. Throws `SyntaxError`. */
export function decodeJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  // Wrappers always appear as `"$date"` / `"$number"` keys: text without `"$` needs no walk.
  return text.includes('"$') ? revive(value) : value;
}

/** Narrows a decoded value to a stored document (a plain object with a non-empty string `_id`). */
export function isStoredDoc(value: unknown): value is StoredDoc {
  return isPlainObject(value) && typeof value._id === 'string' && value._id !== '';
}
