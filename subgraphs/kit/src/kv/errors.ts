import { DependencyUnavailableError } from '../dependencyUnavailable';

/**
 * Raised when the backend cannot be reached (connection refused or lost, command timed out,
 * retries exhausted). Services map it to `UNAVAILABLE`; `/readyz` reports it. The original
 * driver error is kept as `cause` for logs, never for clients.
 */
export class KvUnavailableError extends DependencyUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KvUnavailableError';
  }
}

/** Raised when a key holding one kind of value (string, stream, limiter) is used as another. */
export class KvWrongTypeError extends Error {
  readonly key: string;
  constructor(key: string, options?: { cause?: unknown }) {
    super(`key ${JSON.stringify(key)} holds another kind of value`, options);
    this.name = 'KvWrongTypeError';
    this.key = key;
  }
}

/** Raised when the store is used before `start()` or after `stop()`: a wiring bug, not an outage. */
export class KvNotRunningError extends Error {
  constructor(state: string) {
    super(`the key-value store is ${state}: call start() first, and do not use it after stop()`);
    this.name = 'KvNotRunningError';
  }
}
