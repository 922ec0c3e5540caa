/**
 * Argument checks shared by both adapters, so a bad call fails the same way (a `RangeError`
 * naming the argument) on the embedded store as on Redis instead of reaching the server.
 */

/** Throws unless `value` is an integer >= 1 (and a safe one). */
export function assertPositiveInt(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
}

/** Throws unless `value` is a safe integer (possibly negative or zero). */
export function assertInt(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be an integer, got ${String(value)}`);
}

/** Throws unless `value` is a safe integer >= 0. */
export function assertNonNegativeInt(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${String(value)}`);
}

/** Stream entries need at least one field (Redis XADD refuses none) and string values only. */
export function assertStreamFields(fields: Record<string, string>): void {
  const names = Object.keys(fields);
  if (names.length === 0) throw new RangeError('a stream entry needs at least one field');
  for (const name of names) {
    if (typeof fields[name] !== 'string') throw new RangeError(`stream field ${name} must be a string`);
  }
}
