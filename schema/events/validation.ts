/**
 * A tiny runtime schema helper for event contracts: each validator checks an unknown value and
 * returns it typed, or throws `EventValidationError` naming the offending path. Kept in-house so
 * producers and consumers share one dependency-free definition of every event.
 *
 * Objects accept unknown extra fields and keep them: a producer on a newer minor revision of a
 * contract (an added optional field) must not break older consumers of the same topic version.
 */

/** Raised when a value does not fit a contract; `path` names the field, e.g. `payload.email`. */
export class EventValidationError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path || 'event'}: ${message}`);
    this.name = 'EventValidationError';
    this.path = path;
  }
}

/** Checks `value` (found at `path`) and returns it typed; throws `EventValidationError`. */
export type Validator<T> = (value: unknown, path: string) => T;

/** A validator whose field may be absent from its object. */
export interface OptionalValidator<T> extends Validator<T | undefined> {
  readonly optional: true;
}

/** The type a validator produces. */
export type Infer<V> = V extends Validator<infer T> ? T : never;

type Shape = Record<string, Validator<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalValidator<unknown> ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
type Simplify<T> = { [K in keyof T]: T[K] };
/** The object type described by a shape: optional validators become optional properties. */
export type InferShape<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> }
>;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface StringRules {
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
  /** Said in the error when `pattern` does not match, e.g. "an ISO-8601 UTC timestamp". */
  patternName?: string;
}

/** A string, by default non-empty and at most 10,000 characters. */
export function string(rules: StringRules = {}): Validator<string> {
  const { minLength = 1, maxLength = 10_000, pattern, patternName } = rules;
  return (value, path) => {
    if (typeof value !== 'string') throw new EventValidationError(path, `expected a string, got ${describe(value)}`);
    if (value.length < minLength) throw new EventValidationError(path, `must have at least ${minLength} characters`);
    if (value.length > maxLength) throw new EventValidationError(path, `must have at most ${maxLength} characters`);
    if (pattern && !pattern.test(value)) throw new EventValidationError(path, `must be ${patternName ?? `a string matching ${String(pattern)}`}`);
    return value;
  };
}

/** A finite number, optionally an integer within bounds. */
export function number(rules: { integer?: boolean; min?: number; max?: number } = {}): Validator<number> {
  return (value, path) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new EventValidationError(path, `expected a finite number, got ${describe(value)}`);
    if (rules.integer && !Number.isInteger(value)) throw new EventValidationError(path, 'must be an integer');
    if (rules.min !== undefined && value < rules.min) throw new EventValidationError(path, `must be at least ${rules.min}`);
    if (rules.max !== undefined && value > rules.max) throw new EventValidationError(path, `must be at most ${rules.max}`);
    return value;
  };
}

export function boolean(): Validator<boolean> {
  return (value, path) => {
    if (typeof value !== 'boolean') throw new EventValidationError(path, `expected a boolean, got ${describe(value)}`);
    return value;
  };
}

/** One of a fixed set of strings (an enum). */
export function oneOf<const T extends readonly string[]>(values: T): Validator<T[number]> {
  return (value, path) => {
    if (typeof value !== 'string' || !values.includes(value)) throw new EventValidationError(path, `expected one of ${values.join(', ')}, got ${describe(value)}`);
    return value as T[number];
  };
}

/** `null` or what `inner` accepts. */
export function nullable<T>(inner: Validator<T>): Validator<T | null> {
  return (value, path) => (value === null ? null : inner(value, path));
}

/** A field that may be absent (or `undefined`); present values must satisfy `inner`. */
export function optional<T>(inner: Validator<T>): OptionalValidator<T> {
  const check: Validator<T | undefined> = (value, path) => (value === undefined ? undefined : inner(value, path));
  return Object.assign(check, { optional: true as const });
}

/** An array whose elements all satisfy `item`. */
export function array<T>(item: Validator<T>, rules: { maxItems?: number } = {}): Validator<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) throw new EventValidationError(path, `expected an array, got ${describe(value)}`);
    if (rules.maxItems !== undefined && value.length > rules.maxItems) throw new EventValidationError(path, `must have at most ${rules.maxItems} items`);
    value.forEach((element, index) => item(element, `${path}[${index}]`));
    return value as T[];
  };
}

/** An object with the given fields (extra fields are kept, see the module comment). */
export function object<S extends Shape>(shape: S, rules: { atLeastOneOf?: ReadonlyArray<keyof S & string> } = {}): Validator<InferShape<S>> {
  return (value, path) => {
    if (!isRecord(value)) throw new EventValidationError(path, `expected an object, got ${describe(value)}`);
    for (const [key, check] of Object.entries(shape)) check(value[key], path ? `${path}.${key}` : key);
    const some = rules.atLeastOneOf;
    if (some && !some.some((key) => value[key] !== undefined)) throw new EventValidationError(path, `must set at least one of ${some.join(', ')}`);
    return value as InferShape<S>;
  };
}

/** An object whose values all satisfy `item` (any keys). */
export function record<T>(item: Validator<T>, rules: { maxKeys?: number } = {}): Validator<Record<string, T>> {
  return (value, path) => {
    if (!isRecord(value)) throw new EventValidationError(path, `expected an object, got ${describe(value)}`);
    const entries = Object.entries(value);
    if (rules.maxKeys !== undefined && entries.length > rules.maxKeys) throw new EventValidationError(path, `must have at most ${rules.maxKeys} keys`);
    for (const [key, element] of entries) item(element, path ? `${path}.${key}` : key);
    return value as Record<string, T>;
  };
}
