import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

/**
 * W3C trace context carried through events: the `traceparent` header goes from `publish` to the
 * handler, and the handler runs inside it, so events it publishes continue the same trace.
 */

const current = new AsyncLocalStorage<string>();
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The header name. */
export const TRACEPARENT_HEADER = 'traceparent';

/** Whether `value` is a well-formed `traceparent` (version-traceid-spanid-flags). */
export function isTraceparent(value: string | undefined): value is string {
  return value !== undefined && TRACEPARENT.test(value);
}

/** A new sampled trace: `00-<trace id>-<span id>-01`. */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/** The trace context `run` (and everything it awaits) sees; `undefined` leaves the current one. */
export function withTraceparent<T>(traceparent: string | undefined, run: () => T): T {
  return isTraceparent(traceparent) ? current.run(traceparent, run) : run();
}

/** The trace context of the caller, if any (set by `withTraceparent` or by the bus around a handler). */
export function currentTraceparent(): string | undefined {
  return current.getStore();
}
