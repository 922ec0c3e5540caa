/**
 * Reads until `check` passes or `tries` reads have been made, 10 ms apart, and returns the last
 * value read: the caller asserts on it, so waiting is bounded by iterations, never by the clock.
 */
export async function eventually<T>(read: () => T | Promise<T>, check: (value: T) => boolean, tries = 400): Promise<T> {
  let value = await read();
  for (let i = 0; i < tries && !check(value); i++) {
    await new Promise((r) => setTimeout(r, 10));
    value = await read();
  }
  return value;
}
