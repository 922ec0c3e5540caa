import { EventValidationError, parseEnvelope, validateEvent } from '@chatgraph/schema';
import type { Logger } from '../logger';
import { isDependencyUnavailable } from '../dependencyUnavailable';
import type { BackoffOptions, EventHandler, EventHeaders } from './port';
import { withTraceparent, TRACEPARENT_HEADER } from './trace';

/**
 * The consume pipeline both adapters share, so a handler cannot tell them apart: validate, call
 * the handler, retry with exponential backoff, then dead-letter with the error and move on. A
 * failure because a dependency is unavailable (store, bus, kv, search, blobs down) is retried
 * with backoff for as long as it lasts and never dead-lettered: the event is fine, and
 * dead-lettering it during an outage would drop it (a request never generated, an answer never
 * stored).
 */

/** A record as read from a partition, before validation. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  /** The raw value (UTF-8 JSON); `null` for a Kafka tombstone, which is never a valid event. */
  value: string | null;
  headers: EventHeaders;
}

/** Headers added to a dead-lettered record, next to the original ones. */
export const DEAD_LETTER_HEADERS = {
  error: 'error',
  errorMessage: 'error-message',
  attempts: 'attempts',
  originalTopic: 'original-topic',
  originalPartition: 'original-partition',
  originalOffset: 'original-offset',
  groupId: 'group-id',
  failedAt: 'failed-at',
} as const;

export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 10_000, multiplier: 2 };

/** The delay before retry `attempt` (1-based count of failures so far). */
export function backoffDelay(backoff: BackoffOptions, attempt: number): number {
  return Math.min(backoff.maxMs, backoff.initialMs * backoff.multiplier ** (attempt - 1));
}

export interface DeliveryContext {
  groupId: string;
  handler: EventHandler;
  maxAttempts: number;
  backoff: BackoffOptions;
  logger: Logger;
  /** Resolves after `ms`, or early (with `false`) when the consumer is stopping. */
  sleep(ms: number): Promise<boolean>;
  /** Publishes the record to its dead-letter topic, durably. */
  deadLetter(record: ConsumedRecord, headers: EventHeaders): Promise<void>;
}

/** `handled` and `dead-lettered` commit the offset; `aborted` (stopping mid-retry) does not. */
export type DeliveryOutcome = 'handled' | 'dead-lettered' | 'aborted';

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(typeof error === 'string' ? error : JSON.stringify(error));
}

function deadLetterHeaders(record: ConsumedRecord, ctx: DeliveryContext, error: Error, attempts: number): EventHeaders {
  return {
    ...record.headers,
    [DEAD_LETTER_HEADERS.error]: error.name,
    [DEAD_LETTER_HEADERS.errorMessage]: error.message.slice(0, 2000),
    [DEAD_LETTER_HEADERS.attempts]: String(attempts),
    [DEAD_LETTER_HEADERS.originalTopic]: record.topic,
    [DEAD_LETTER_HEADERS.originalPartition]: String(record.partition),
    [DEAD_LETTER_HEADERS.originalOffset]: record.offset,
    [DEAD_LETTER_HEADERS.groupId]: ctx.groupId,
    [DEAD_LETTER_HEADERS.failedAt]: new Date().toISOString(),
  };
}

/**
 * Delivers one record. An event that fails validation is dead-lettered at once: no retry can
 * make it valid, and blocking its partition would stop every later event with the same key.
 */
export async function deliverRecord(record: ConsumedRecord, ctx: DeliveryContext): Promise<DeliveryOutcome> {
  let event;
  try {
    if (record.value === null) throw new EventValidationError('', 'the record has no value');
    event = validateEvent(record.topic, parseEnvelope(record.value));
  } catch (error) {
    const invalid = asError(error);
    ctx.logger.warn(
      { topic: record.topic, partition: record.partition, offset: record.offset, groupId: ctx.groupId, err: invalid },
      'invalid event dead-lettered',
    );
    await ctx.deadLetter(record, deadLetterHeaders(record, ctx, invalid, 1));
    return 'dead-lettered';
  }
  let lastError = new Error('no attempt was made');
  // `failures` counts towards dead-lettering; failures of an unavailable dependency do not.
  for (let attempt = 1, failures = 0, outage = 0; failures < ctx.maxAttempts; attempt++) {
    try {
      const delivery = {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        key: record.key,
        event,
        headers: record.headers,
        groupId: ctx.groupId,
        attempt,
      };
      await withTraceparent(record.headers[TRACEPARENT_HEADER], () => ctx.handler(delivery));
      return 'handled';
    } catch (error) {
      lastError = asError(error);
      const unavailable = isDependencyUnavailable(error);
      if (unavailable) outage++;
      else failures++;
      const where = {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        eventId: event.id,
        groupId: ctx.groupId,
        attempt,
      };
      ctx.logger.warn(
        { ...where, err: lastError, unavailable },
        unavailable ? 'event handler failed: a dependency is unavailable; retrying until it is back' : 'event handler failed',
      );
      if (failures === ctx.maxAttempts) break;
      // Stopping mid-retry leaves the offset uncommitted: the event is delivered again later.
      if (!(await ctx.sleep(backoffDelay(ctx.backoff, unavailable ? outage : failures)))) return 'aborted';
    }
  }
  await ctx.deadLetter(record, deadLetterHeaders(record, ctx, lastError, ctx.maxAttempts));
  ctx.logger.error(
    { topic: record.topic, offset: record.offset, eventId: event.id, groupId: ctx.groupId, err: lastError },
    'event dead-lettered',
  );
  return 'dead-lettered';
}

/** A sleep that a stop signal cuts short: resolves `true` after `ms`, `false` if aborted first. */
export function abortableSleep(signal: AbortSignal, ms: number): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
