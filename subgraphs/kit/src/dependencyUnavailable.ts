/**
 * The common base of every port's "dependency unavailable" error (document store, event bus,
 * key-value store, search index, blob store): the backing server cannot be reached, nothing is
 * known to have happened, retrying later may succeed.
 *
 * One base so that the places that must treat them alike (the GraphQL boundary maps them to
 * `UNAVAILABLE`, event consumers retry them instead of dead-lettering) test one class, and a new
 * port only has to extend it to be handled the same way. The driver's error is the `cause`, for
 * logs only, never for clients.
 */
export class DependencyUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DependencyUnavailableError';
  }
}

/** True when `error`, or an error it wraps as `cause` (up to 5 deep), is a `DependencyUnavailableError`. */
export function isDependencyUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DependencyUnavailableError) return true;
  }
  return false;
}
