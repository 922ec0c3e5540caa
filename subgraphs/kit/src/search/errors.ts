import { DependencyUnavailableError } from '../dependencyUnavailable';

/**
 * Errors raised by every search adapter. Services map them at their boundary:
 * `SearchUnavailableError` to `UNAVAILABLE` (retry later), the others to `INTERNAL`.
 * A bad paging cursor is the user's input and is raised directly as `BAD_USER_INPUT`.
 */

/** The engine cannot be reached or is overloaded; nothing is known to have happened. */
export class SearchUnavailableError extends DependencyUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SearchUnavailableError';
  }
}

/** The caller asked for something invalid (missing owner, wrong vector size, unknown field...). */
export class SearchRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SearchRequestError';
  }
}

/** The engine refused a valid-looking request or some documents of a bulk. */
export class SearchIndexError extends Error {
  /** Ids of documents a bulk write failed for, when known. */
  readonly failedIds: string[];
  constructor(message: string, options?: { cause?: unknown; failedIds?: string[] }) {
    super(message, { cause: options?.cause });
    this.name = 'SearchIndexError';
    this.failedIds = options?.failedIds ?? [];
  }
}
