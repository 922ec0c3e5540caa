/**
 * The token-stream contract between ai-gateway (the writer) and streaming (the reader), over the
 * kit's key-value port (Redis Streams in production). Tokens never travel on Kafka; this is the
 * one place both sides agree on key names, entry shapes and the control channel.
 *
 * Per generation (`streamId`, chosen by conversation):
 * - `tokenStreamKey(id)`: an append-only stream. Entry seq 1 is always a `start` entry naming the
 *   owner, then `delta` entries, then exactly one `done` entry. A StreamChunk's `seq` is the
 *   entry's seq, so `messageStream(streamId, after)` resumes exactly.
 * - `tokenStreamMetaKey(id)`: JSON `TokenStreamMeta`, written with the `start` entry and updated on
 *   `done`; it survives trimming of the stream (ownership checks, `activeStreams`).
 * - `tokenStreamStopKey(id)`: set by `stopGeneration` so a generation not yet started (or running
 *   on an instance that missed the control message) stops when it looks.
 * - `tokenStreamAppliedKey(id)`: a stream written by conversation (the message's owner), one
 *   `OutcomeAppliedEntry` once it has applied the generation's outcome (`generation.completed|failed`,
 *   and any `title.generated` before it) to the message. streaming holds the `done` chunk until it
 *   exists, so the message hydrated on the final chunk is the finished one.
 * - `tokenStreamRequestKey(id)`: JSON `TokenStreamRequest`, written by conversation when it creates
 *   the generation (before `sendMessage` returns the streamId), expiring after conversation's
 *   OUTCOME_MARKER_TTL_MS. It is how streaming tells a generation that has not started yet (wait
 *   for its `start`) from an unknown id (NOT_FOUND at once) and from one that ended and expired
 *   (its applied marker exists: NOT_FOUND with reason `STREAM_ENDED` at once). Written before the
 *   applied marker with the same TTL, it never outlives the marker of a generation that ended.
 * Per owner: `ownerStreamsKey(ownerId)`, a stream of `{ streamId }` entries (newest last, bounded)
 * listing the owner's generations, for `activeStreams`.
 * Both keys of a generation get the retention TTL when it ends.
 */
import { EventValidationError } from './validation';

export const tokenStreamKey = (streamId: string): string => `tokens:${streamId}`;
export const tokenStreamMetaKey = (streamId: string): string => `tokens:${streamId}:meta`;
export const tokenStreamStopKey = (streamId: string): string => `tokens:${streamId}:stop`;
export const tokenStreamAppliedKey = (streamId: string): string => `tokens:${streamId}:applied`;
export const tokenStreamRequestKey = (streamId: string): string => `tokens:${streamId}:request`;
export const ownerStreamsKey = (ownerId: string): string => `tokens:owner:${ownerId}`;
/** Pub/sub channel every ai-gateway instance listens on; messages are JSON `GenerationControl`. */
export const GENERATION_CONTROL_CHANNEL = 'ai.generation.control';

/** How a generation ended, as the message's final status. */
export type TokenStreamOutcome = 'COMPLETE' | 'FAILED' | 'ABORTED';

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface TokenStreamMeta {
  streamId: string;
  ownerId: string;
  conversationId: string;
  messageId: string;
  model: string;
  state: 'running' | 'done';
  /** ISO-8601. */
  startedAt: string;
  endedAt?: string;
  outcome?: TokenStreamOutcome;
  finishReason?: string;
}

/** A stream entry, decoded. `fields` of the kv entry are strings: see encode/decode below. */
export type TokenStreamEntry =
  | { type: 'start'; ownerId: string; conversationId: string; messageId: string; model: string }
  | { type: 'delta'; delta: string }
  | { type: 'done'; outcome: TokenStreamOutcome; finishReason: string; usage?: TokenUsage; error?: string };

/** The entry conversation appends to `tokenStreamAppliedKey` (kv fields are strings). */
export interface OutcomeAppliedEntry {
  /** The outcome event conversation applied (or found applied, or dropped for a deleted message). */
  event: 'generation.completed' | 'generation.failed';
}

/** The record of a requested generation (`tokenStreamRequestKey`), written by conversation. */
export interface TokenStreamRequest {
  streamId: string;
  ownerId: string;
  conversationId: string;
  messageId: string;
  /** ISO-8601. */
  requestedAt: string;
}

/** Parses a `TokenStreamRequest`; `undefined` for anything else (the caller logs it). */
export function parseTokenStreamRequest(raw: string): TokenStreamRequest | undefined {
  try {
    const value = JSON.parse(raw) as Partial<TokenStreamRequest> | null;
    if (value && typeof value.streamId === 'string' && typeof value.ownerId === 'string' && typeof value.conversationId === 'string' && typeof value.messageId === 'string' && typeof value.requestedAt === 'string') {
      return { streamId: value.streamId, ownerId: value.ownerId, conversationId: value.conversationId, messageId: value.messageId, requestedAt: value.requestedAt };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** The kv fields of an `OutcomeAppliedEntry`. */
export function encodeOutcomeApplied(entry: OutcomeAppliedEntry): Record<string, string> {
  return { event: entry.event };
}

/** A stop request on `GENERATION_CONTROL_CHANNEL`. */
export interface GenerationControl {
  type: 'stop';
  streamId: string;
  /** The user who asked (the owner: streaming checked it). */
  requestedBy: string;
}

/** The kv fields of an entry (all strings). */
export function encodeTokenStreamEntry(entry: TokenStreamEntry): Record<string, string> {
  switch (entry.type) {
    case 'start':
      return { type: 'start', ownerId: entry.ownerId, conversationId: entry.conversationId, messageId: entry.messageId, model: entry.model };
    case 'delta':
      return { type: 'delta', delta: entry.delta };
    case 'done': {
      const fields: Record<string, string> = { type: 'done', outcome: entry.outcome, finishReason: entry.finishReason };
      if (entry.usage) fields.usage = JSON.stringify(entry.usage);
      if (entry.error !== undefined) fields.error = entry.error;
      return fields;
    }
  }
}

const OUTCOMES: readonly string[] = ['COMPLETE', 'FAILED', 'ABORTED'];

function field(fields: Readonly<Record<string, string>>, name: string): string {
  const value = fields[name];
  if (typeof value !== 'string') throw new EventValidationError(name, 'is required in a token stream entry');
  return value;
}

/** Decodes kv fields into an entry; throws `EventValidationError` on anything else. */
export function decodeTokenStreamEntry(fields: Readonly<Record<string, string>>): TokenStreamEntry {
  const type = field(fields, 'type');
  switch (type) {
    case 'start':
      return { type, ownerId: field(fields, 'ownerId'), conversationId: field(fields, 'conversationId'), messageId: field(fields, 'messageId'), model: field(fields, 'model') };
    case 'delta':
      return { type, delta: field(fields, 'delta') };
    case 'done': {
      const outcome = field(fields, 'outcome');
      if (!OUTCOMES.includes(outcome)) throw new EventValidationError('outcome', `'${outcome}' is not one of ${OUTCOMES.join(', ')}`);
      let usage: TokenUsage | undefined;
      if (fields.usage !== undefined) {
        try {
          usage = JSON.parse(fields.usage) as TokenUsage;
        } catch {
          throw new EventValidationError('usage', 'is not JSON');
        }
      }
      return { type, outcome: outcome as TokenStreamOutcome, finishReason: field(fields, 'finishReason'), usage, ...(fields.error !== undefined ? { error: fields.error } : {}) };
    }
    default:
      throw new EventValidationError('type', `'${type}' is not a token stream entry type (start, delta, done)`);
  }
}

/** Parses a stop request; `undefined` for anything malformed (pub/sub is best effort). */
export function parseGenerationControl(message: string): GenerationControl | undefined {
  try {
    const value = JSON.parse(message) as Partial<GenerationControl>;
    if (value.type === 'stop' && typeof value.streamId === 'string' && typeof value.requestedBy === 'string') return { type: 'stop', streamId: value.streamId, requestedBy: value.requestedBy };
  } catch {
    // fall through
  }
  return undefined;
}
