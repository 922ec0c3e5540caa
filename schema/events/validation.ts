import { z } from 'zod';

/**
 * Event contracts are stated once as zod schemas (the topic files); this module turns zod's
 * verdict into the one error every producer and consumer knows, `EventValidationError`, naming
 * the offending path (`payload.models[0].id`) and saying what is wrong in words.
 *
 * Objects accept unknown extra fields and keep them: a producer on a newer minor revision of a
 * contract (an added optional field) must not break older consumers of the same topic version.
 * zod's `z.object` ignores unknown keys when checking, and `check` returns the value it was given
 * (not zod's copy, which would drop them).
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

/** A contract's schema for a value of type `T` (a subject, a payload, an envelope). */
export type Schema<T = unknown> = z.ZodType<T>;

/** The type a schema describes. */
export type Infer<S> = S extends z.ZodType<infer T> ? T : never;

/** `prefix` and a zod issue path joined the way errors name fields: `payload.messages[2].role`. */
export function pathOf(prefix: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (joined, key) => (typeof key === 'number' ? `${joined}[${key}]` : joined ? `${joined}.${String(key)}` : String(key)),
    prefix,
  );
}

/**
 * Parses `value` (found at `path`) with `schema` and returns zod's result (transformed, extra
 * fields dropped). Throws `EventValidationError` naming the first offending field.
 */
export function parse<T>(schema: Schema<T>, value: unknown, path: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  if (!issue) throw new EventValidationError(path, 'is invalid');
  throw new EventValidationError(pathOf(path, issue.path), issue.message);
}

/**
 * Checks `value` (found at `path`) against `schema` and returns it typed, with any extra fields
 * it carries (see the module comment). Throws `EventValidationError` naming the first offending field.
 */
export function check<T>(schema: Schema<T>, value: unknown, path: string): T {
  parse(schema, value, path);
  return value as T;
}

/** A string of 1 to `max` characters (events carry no empty ids, names or models). */
export const text = (max: number): z.ZodString => z.string().min(1).max(max);

/** `min` to `max` characters, said so in the error (content may be empty while a message is pending). */
export const bounded = (min: number, max: number): z.ZodString => z.string().min(min).max(max);

/** A whole number from `min` (default 0). */
export const count = (min = 0): z.ZodNumber => z.number().int().min(min);

/**
 * An object of `shape` that must set at least one of `keys` (update events carry only what
 * changed, never nothing).
 */
export function someOf<S extends z.ZodRawShape>(shape: S, keys: ReadonlyArray<keyof S & string>) {
  return z.object(shape).refine((value) => keys.some((key) => (value as Record<string, unknown>)[key] !== undefined), {
    message: `must set at least one of ${keys.join(', ')}`,
  });
}
