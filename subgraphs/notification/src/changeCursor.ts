import { codedError } from '@chatgraph/kit';

/**
 * A `myEvents` cursor: where one event sits in its user's change log (`seq`) and which event it
 * was (`eventId`). Both are checked on resume: a log that was trimmed, expired or restarted (its
 * seqs start again at 1) holds another event, or none, at that seq, so an old cursor can never
 * silently skip events. Opaque to clients (base64url of `<seq>:<eventId>`).
 */
export interface ChangeCursor {
  seq: number;
  eventId: string;
}

/** Longest cursor accepted: anything longer is not one of ours (checked before decoding). */
const MAX_CURSOR_CHARS = 200;
/** The decoded form: a positive seq, then an envelope id (schema/events `idString`). */
const DECODED = /^([1-9][0-9]{0,14}):([A-Za-z0-9_.:-]{1,128})$/;

/** The opaque cursor of the event at `seq` of a change log. */
export function encodeChangeCursor(cursor: ChangeCursor): string {
  return Buffer.from(`${cursor.seq}:${cursor.eventId}`, 'utf8').toString('base64url');
}

/** Decodes `after`; anything that is not a cursor this service issued is BAD_USER_INPUT. */
export function decodeChangeCursor(after: string): ChangeCursor {
  const malformed = () => codedError('BAD_USER_INPUT', 'after is not a myEvents cursor', { field: 'after' });
  if (after.length === 0 || after.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(after)) throw malformed();
  const match = DECODED.exec(Buffer.from(after, 'base64url').toString('utf8'));
  if (!match?.[1] || !match[2]) throw malformed();
  const cursor = { seq: Number(match[1]), eventId: match[2] };
  // Only the canonical encoding: padding or stray bits would make two spellings of one cursor.
  if (encodeChangeCursor(cursor) !== after) throw malformed();
  return cursor;
}

/** The refusal of a cursor whose event is no longer in the log: the client refetches, then subscribes without `after`. */
export function cursorExpired() {
  return codedError('NOT_FOUND', 'The myEvents cursor has expired: refetch, then subscribe again without after', {
    field: 'after',
    reason: 'CURSOR_EXPIRED',
  });
}
