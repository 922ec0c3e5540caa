import { errors } from '@elastic/elasticsearch';
import { SearchIndexError, SearchUnavailableError } from '../errors';

/** HTTP statuses that mean "try again later" rather than "this request is wrong". */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

function reasonOf(error: errors.ResponseError): string {
  const body: unknown = error.body;
  const cause = (body as { error?: unknown } | undefined)?.error;
  if (typeof cause === 'string') return cause;
  if (cause && typeof cause === 'object') {
    const { type, reason } = cause as { type?: unknown; reason?: unknown };
    return `${String(type)}: ${String(reason)}`;
  }
  return `HTTP ${error.statusCode ?? '?'}`;
}

/**
 * Maps a client error to the port's errors, naming the operation. Unreachable, timed-out or
 * overloaded clusters become `SearchUnavailableError` (the service answers UNAVAILABLE); other
 * client errors a `SearchIndexError` carrying Elasticsearch's own error type and reason.
 */
export function mapElasticsearchError(error: unknown, operation: string, index: string): Error {
  // Only the client's errors are translated; ours (a bad cursor, a failed bulk item) pass through.
  if (!(error instanceof errors.ElasticsearchClientError)) return error instanceof Error ? error : new SearchIndexError(String(error));
  if (
    error instanceof errors.ConnectionError ||
    error instanceof errors.TimeoutError ||
    error instanceof errors.NoLivingConnectionsError ||
    error instanceof errors.RequestAbortedError
  ) {
    return new SearchUnavailableError(`Elasticsearch unreachable during ${operation} on ${index}: ${error.message}`, { cause: error });
  }
  if (error instanceof errors.ResponseError) {
    const message = `Elasticsearch ${operation} on ${index} failed: ${reasonOf(error)}`;
    return RETRYABLE_STATUS.has(error.statusCode ?? 0)
      ? new SearchUnavailableError(message, { cause: error })
      : new SearchIndexError(message, { cause: error });
  }
  if (error instanceof errors.ProductNotSupportedError) {
    return new SearchIndexError(`the server behind ${operation} on ${index} is not Elasticsearch`, { cause: error });
  }
  return new SearchIndexError(`Elasticsearch ${operation} on ${index} failed: ${error.message}`, { cause: error });
}
