import { DependencyUnavailableError } from '../dependencyUnavailable';

/**
 * Errors raised by every blob-store adapter. Services map `BlobRequestError` to
 * `BAD_USER_INPUT` when the key or metadata came from the client, `BlobStoreUnavailableError` to
 * `UNAVAILABLE`, anything else to `INTERNAL`.
 */

/** A key, content type or metadata outside what the port accepts (see port.ts). Nothing was done. */
export class BlobRequestError extends Error {
  readonly field: 'key' | 'contentType' | 'metadata' | 'range';
  constructor(field: 'key' | 'contentType' | 'metadata' | 'range', message: string) {
    super(message);
    this.name = 'BlobRequestError';
    this.field = field;
  }
}

/** The backing server cannot be reached; nothing is known to have happened. Retrying later may succeed. */
export class BlobStoreUnavailableError extends DependencyUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BlobStoreUnavailableError';
  }
}
