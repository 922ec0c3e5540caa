import { codedError } from '@chatgraph/kit';

/** Longest stream id accepted. conversation's ids are 32 hex characters; the margin is for other writers. */
export const MAX_STREAM_ID_LENGTH = 128;

/**
 * Letters, digits, `_` and `-` only: a colon would let one id name another stream's keys
 * (`tokens:<id>:meta`, `tokens:owner:<user>`) in the contract's key scheme.
 */
const STREAM_ID = /^[A-Za-z0-9_-]+$/;

/** The stream id of a request, or BAD_USER_INPUT naming the argument. */
export function parseStreamId(value: string): string {
  if (value.length === 0 || value.length > MAX_STREAM_ID_LENGTH || !STREAM_ID.test(value)) {
    throw codedError('BAD_USER_INPUT', `streamId must be 1 to ${MAX_STREAM_ID_LENGTH} letters, digits, '_' or '-'`, { field: 'streamId' });
  }
  return value;
}

/** `after` of `messageStream`: absent means 0 (from the start); otherwise an integer >= 0. */
export function parseAfter(value: number | null | undefined): number {
  if (value === null || value === undefined) return 0;
  if (!Number.isSafeInteger(value) || value < 0)
    throw codedError('BAD_USER_INPUT', 'after must be an integer >= 0 (the last seq received)', { field: 'after' });
  return value;
}
