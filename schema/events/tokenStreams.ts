/**
 * The token-stream contract between ai-gateway (the writer) and streaming (the reader), over the
 * kit's key-value port (Redis Streams in production). Tokens never travel on Kafka; this is the
 * one place both sides agree on key names, entry shapes and the control channel.
 *
 * Per generation (`streamId`, chosen by conversation):
 * - `tokenStreamKey(id)`: an append-only stream. Entry seq 1 is always a `start` entry naming the
 *   owner, then `delta` entries (and, in a tool loop, a `tool` entry when a call starts and one
 *   when it ends), then exactly one `done` entry. A StreamChunk's `seq` is the
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
import { z } from 'zod';
import { parse } from './validation';

export const tokenStreamKey = (streamId: string): string => `tokens:${streamId}`;
export const tokenStreamMetaKey = (streamId: string): string => `tokens:${streamId}:meta`;
export const tokenStreamStopKey = (streamId: string): string => `tokens:${streamId}:stop`;
export const tokenStreamAppliedKey = (streamId: string): string => `tokens:${streamId}:applied`;
export const tokenStreamRequestKey = (streamId: string): string => `tokens:${streamId}:request`;
export const ownerStreamsKey = (ownerId: string): string => `tokens:owner:${ownerId}`;
/** Pub/sub channel every ai-gateway instance listens on; messages are JSON `GenerationControl`. */
export const GENERATION_CONTROL_CHANNEL = 'ai.generation.control';

/** How a generation ended, as the message's final status. */
const outcomeSchema = z.enum(['COMPLETE', 'FAILED', 'ABORTED']);
export type TokenStreamOutcome = z.infer<typeof outcomeSchema>;

const usageSchema = z.object({ promptTokens: z.number(), completionTokens: z.number(), totalTokens: z.number() });
export type TokenUsage = z.infer<typeof usageSchema>;

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

/**
 * A stream entry as stored: kv entry fields are strings, so `usage` travels as JSON (see
 * encode/decode below). The `type` field says which fields the entry has.
 */
const storedEntrySchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('start'), ownerId: z.string(), conversationId: z.string(), messageId: z.string(), model: z.string() }),
    z.object({ type: z.literal('delta'), delta: z.string() }),
    z.object({
      type: z.literal('tool'),
      /** The provider's call id: a call's `started` and `ended` entries share it. */
      callId: z.string(),
      name: z.string(),
      /** `started` when ai-gateway runs the call, `ended` when it has its outcome. */
      phase: z.enum(['started', 'ended']),
      /** The arguments as the model sent them (JSON text). */
      arguments: z.string(),
      /** On `ended`: `OK` or the failure code. */
      outcome: z.string().optional(),
      /** On `ended`: what the call found or why it failed. */
      summary: z.string().optional(),
      /** On `ended`: how long the call ran, in ms (kv fields are strings). */
      durationMs: z.coerce.number().int().min(0).optional(),
    }),
    z.object({
      type: z.literal('done'),
      outcome: outcomeSchema,
      finishReason: z.string(),
      usage: z
        .string()
        .transform((text, ctx): unknown => {
          try {
            return JSON.parse(text);
          } catch {
            ctx.addIssue({ code: 'custom', message: 'is not JSON' });
            return z.NEVER;
          }
        })
        .pipe(usageSchema)
        .optional(),
      error: z.string().optional(),
    }),
  ],
  { error: 'is not a token stream entry type (start, delta, tool, done)' },
);

/** A stream entry, decoded. */
export type TokenStreamEntry = z.infer<typeof storedEntrySchema>;

/** The entry conversation appends to `tokenStreamAppliedKey` (kv fields are strings). */
export interface OutcomeAppliedEntry {
  /** The outcome event conversation applied (or found applied, or dropped for a deleted message). */
  event: 'generation.completed' | 'generation.failed';
}

/** The record of a requested generation (`tokenStreamRequestKey`), written by conversation. */
const tokenStreamRequestSchema = z.object({
  streamId: z.string(),
  ownerId: z.string(),
  conversationId: z.string(),
  messageId: z.string(),
  /** ISO-8601. */
  requestedAt: z.string(),
});
export type TokenStreamRequest = z.infer<typeof tokenStreamRequestSchema>;

/** JSON `text` checked against `schema`: its value (extra fields dropped), or `undefined`. */
function parseJson<T>(schema: z.ZodType<T>, text: string): T | undefined {
  try {
    const result = schema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/** Parses a `TokenStreamRequest`; `undefined` for anything else (the caller logs it). */
export function parseTokenStreamRequest(raw: string): TokenStreamRequest | undefined {
  return parseJson(tokenStreamRequestSchema, raw);
}

/** The kv fields of an `OutcomeAppliedEntry`. */
export function encodeOutcomeApplied(entry: OutcomeAppliedEntry): Record<string, string> {
  return { event: entry.event };
}

/** A stop request on `GENERATION_CONTROL_CHANNEL`. */
const generationControlSchema = z.object({
  type: z.literal('stop'),
  streamId: z.string(),
  /** The user who asked (the owner: streaming checked it). */
  requestedBy: z.string(),
});
export type GenerationControl = z.infer<typeof generationControlSchema>;

/** The kv fields of an entry (all strings). */
export function encodeTokenStreamEntry(entry: TokenStreamEntry): Record<string, string> {
  switch (entry.type) {
    case 'start':
      return {
        type: 'start',
        ownerId: entry.ownerId,
        conversationId: entry.conversationId,
        messageId: entry.messageId,
        model: entry.model,
      };
    case 'delta':
      return { type: 'delta', delta: entry.delta };
    case 'tool': {
      const fields: Record<string, string> = {
        type: 'tool',
        callId: entry.callId,
        name: entry.name,
        phase: entry.phase,
        arguments: entry.arguments,
      };
      if (entry.outcome !== undefined) fields.outcome = entry.outcome;
      if (entry.summary !== undefined) fields.summary = entry.summary;
      if (entry.durationMs !== undefined) fields.durationMs = String(entry.durationMs);
      return fields;
    }
    case 'done': {
      const fields: Record<string, string> = { type: 'done', outcome: entry.outcome, finishReason: entry.finishReason };
      if (entry.usage) fields.usage = JSON.stringify(entry.usage);
      if (entry.error !== undefined) fields.error = entry.error;
      return fields;
    }
  }
}

/** Decodes kv fields into an entry; throws `EventValidationError` naming the field on anything else. */
export function decodeTokenStreamEntry(fields: Readonly<Record<string, string>>): TokenStreamEntry {
  return parse(storedEntrySchema, fields, '');
}

/** Parses a stop request; `undefined` for anything malformed (pub/sub is best effort). */
export function parseGenerationControl(message: string): GenerationControl | undefined {
  return parseJson(generationControlSchema, message);
}
