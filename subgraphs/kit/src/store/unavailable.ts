import { DependencyUnavailableError } from '../dependencyUnavailable';

/**
 * Raised by a document store whose server cannot be reached (connection refused or lost, no
 * server selected in time). Nothing is known to have happened; retrying later may succeed.
 * Services map it to `UNAVAILABLE` and `/readyz` reports it. The driver's error is the `cause`,
 * for logs only.
 */
export class DocumentStoreUnavailableError extends DependencyUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DocumentStoreUnavailableError';
  }
}
