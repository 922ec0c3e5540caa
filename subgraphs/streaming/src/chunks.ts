import type { TokenStreamEntry, TokenStreamOutcome, TokenUsage } from '@chatgraph/schema';

/** A reference to one of conversation's entities: the router fetches its fields from conversation. */
export interface EntityRef<T extends 'Message' | 'Conversation'> {
  __typename: T;
  id: string;
}

export const messageRef = (id: string): EntityRef<'Message'> => ({ __typename: 'Message', id });
export const conversationRef = (id: string): EntityRef<'Conversation'> => ({ __typename: 'Conversation', id });

/** A `StreamChunk` as resolvers return it. */
export interface StreamChunkView {
  streamId: string;
  seq: number;
  delta: string;
  done: boolean;
  finishReason: string | null;
  usage: TokenUsage | null;
  status: TokenStreamOutcome | null;
  error: string | null;
  message: EntityRef<'Message'> | null;
  kind: 'START' | 'DELTA' | 'TOOL_CALL' | 'DONE';
  toolCall: StreamToolCallView | null;
}

/** A tool call on the stream (`StreamToolCall`). */
export interface StreamToolCallView {
  id: string;
  name: string;
  arguments: string;
  phase: 'STARTED' | 'ENDED';
  outcome: string | null;
  summary: string | null;
  durationMs: number | null;
}

/**
 * The chunk of one decoded stream entry. The message reference rides only on the `start` and the
 * `done` chunks: the router hydrates `message { ... }` per chunk, and doing so per token would cost
 * one `_entities` fetch to conversation for every delta.
 */
export function chunkOf(streamId: string, seq: number, entry: TokenStreamEntry, messageId: string | undefined): StreamChunkView {
  const base = { streamId, seq, finishReason: null, usage: null, status: null, error: null, toolCall: null };
  switch (entry.type) {
    case 'start':
      return { ...base, kind: 'START', delta: '', done: false, message: messageRef(entry.messageId) };
    case 'delta':
      return { ...base, kind: 'DELTA', delta: entry.delta, done: false, message: null };
    case 'tool':
      return {
        ...base,
        kind: 'TOOL_CALL',
        delta: '',
        done: false,
        message: null,
        toolCall: {
          id: entry.callId,
          name: entry.name,
          arguments: entry.arguments,
          phase: entry.phase === 'started' ? 'STARTED' : 'ENDED',
          outcome: entry.outcome ?? null,
          summary: entry.summary ?? null,
          durationMs: entry.durationMs ?? null,
        },
      };
    case 'done':
      return {
        ...base,
        kind: 'DONE',
        delta: '',
        done: true,
        finishReason: entry.finishReason,
        usage: entry.usage ?? null,
        status: entry.outcome,
        error: entry.error ?? null,
        message: messageId === undefined ? null : messageRef(messageId),
      };
  }
}
