import type { TokenUsage } from '@chatgraph/schema';
import type { ToolDefinition } from '../tools/types';

/**
 * What the gateway needs from a provider, whatever its API: a token stream, a short non-streaming
 * answer (titles) and embeddings. Adapters turn their failures into `ProviderError` so the
 * router decides retry / fallback from one classification.
 */

/** A part of a user message that carries more than text: OpenAI's chat content parts. */
export type ChatContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

/** What was attached to a user message, for providers that describe attachments rather than read them (the demo). */
export interface AttachmentSummary {
  fileId: string;
  /** Null when the file is unavailable (deleted, not processed, or not the requester's). */
  filename: string | null;
  mimeType: string | null;
  pages?: number;
  image?: { width: number; height: number };
  /** How the model was given it. */
  given: 'text' | 'image' | 'note' | 'unavailable';
}

/** A tool call the model asked for (the arguments as it sent them: JSON text, maybe invalid). */
export interface ProviderToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface ChatMessage {
  /** `tool`: the result of a tool call (`toolCallId`), in a tool loop. */
  role: 'system' | 'user' | 'assistant' | 'tool';
  /** Text, or for a user message with images for a vision model, text and image parts. */
  content: string | ChatContentPart[];
  /**
   * For a user message with files: the user's own words (the content adds the files to them) and
   * each file as given to the model. Ours only: never sent to a provider.
   */
  attachments?: { userText: string; files: AttachmentSummary[] };
  /** On an assistant message of a tool loop: the calls it asked for. */
  toolCalls?: ProviderToolCall[];
  /** On a `tool` message: the call it answers. */
  toolCallId?: string;
}

/** The text of a message: its content, or its text parts joined. */
export function textOf(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
}

/** One piece of a streamed answer; any field may be absent on a given chunk. */
export interface ChatChunk {
  delta?: string;
  finishReason?: string;
  usage?: TokenUsage;
  /** The model is writing tool calls (no text yet): counts as its first token, and keeps the idle timer alive. */
  toolActivity?: boolean;
  /** The tool calls the answer asks for, complete (sent once, before the stream ends). */
  toolCalls?: ProviderToolCall[];
}

export interface ChatRequest {
  /** The provider's own model name. */
  model: string;
  messages: ChatMessage[];
  signal: AbortSignal;
  maxTokens?: number;
  /** Sampling temperature (an assistant's thread); absent: the provider's default. */
  temperature?: number;
  /** Nucleus sampling (an assistant's thread); absent: the provider's default. */
  topP?: number;
  /** Tools the model may call (a tool loop round); absent or empty: none. */
  tools?: readonly ToolDefinition[];
}

export interface ChatProvider {
  readonly id: string;
  readonly kind: 'openai' | 'demo';
  /** Streams the answer; ends normally after the last chunk, throws on failure or abort. */
  streamChat(request: ChatRequest): AsyncIterable<ChatChunk>;
  /** A whole (short) answer. */
  completeChat(request: ChatRequest): Promise<{ text: string; usage?: TokenUsage }>;
  embed(request: { model: string; input: string[]; signal?: AbortSignal }): Promise<number[][]>;
}

/** Why a provider call failed, as the router sees it. */
export type FailureKind = 'rate-limited' | 'server' | 'network' | 'timeout' | 'client' | 'aborted';

/** A provider failure, classified; `message` is safe to log and to put in an event (no key, no body). */
export class ProviderError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProviderError';
  }

  /** 429, 5xx, network and timeouts may succeed on another try; 4xx and aborts never do. */
  get retryable(): boolean {
    return this.kind === 'rate-limited' || this.kind === 'server' || this.kind === 'network' || this.kind === 'timeout';
  }
}
