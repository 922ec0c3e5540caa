import { createHash } from 'node:crypto';
import {
  ProviderError,
  textOf,
  type AttachmentSummary,
  type ChatChunk,
  type ChatMessage,
  type ChatProvider,
  type ChatRequest,
  type ProviderToolCall,
} from './types';

/**
 * The built-in local demo model: no network, no key. Its answer is derived deterministically from
 * the last user message and streamed a word at a time at `tokenIntervalMs`, so the whole chat
 * flow (streams, stop, resume) works offline and tests can assert the exact text. It names the
 * files attached to that message (kind, pages, dimensions), so attaching files is visible offline
 * too. It reports no usage: the gateway counts tokens itself, as for any provider that gives none.
 */

export const DEMO_EMBEDDING_DIMENSIONS = 256;

function lastUserMessage(messages: readonly ChatMessage[]): ChatMessage | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'user') return messages[i];
  return undefined;
}

/** One attachment as the demo names it: `"report.pdf" (application/pdf, 3 pages)`. */
function describeAttachment(a: AttachmentSummary): string {
  if (a.given === 'unavailable' || a.filename === null) return `${a.fileId} (unavailable)`;
  const facts = [a.mimeType ?? 'unknown type'];
  if (a.pages !== undefined) facts.push(`${a.pages} page${a.pages === 1 ? '' : 's'}`);
  if (a.image) facts.push(`${a.image.width}x${a.image.height}`);
  if (a.given === 'note') facts.push('not seen by this model');
  return `"${a.filename}" (${facts.join(', ')})`;
}

/** The demo's full answer to `messages`. */
export function demoAnswer(messages: readonly ChatMessage[]): string {
  const last = lastUserMessage(messages);
  // The user's own words, without the attached documents' text.
  const written = last?.attachments?.userText ?? (last ? textOf(last) : '');
  const prompt = written.replace(/\s+/g, ' ').trim();
  const quoted = prompt.length > 160 ? `${prompt.slice(0, 157)}...` : prompt;
  const words = prompt.length === 0 ? 0 : prompt.split(' ').length;
  const files = last?.attachments?.files ?? [];
  const attached =
    files.length === 0
      ? ''
      : ` You attached ${files.length} file${files.length === 1 ? '' : 's'}: ${files.map(describeAttachment).join('; ')}.`;
  return `This is the local demo model, not an AI: no provider is configured. You wrote ${words} word${words === 1 ? '' : 's'}: "${quoted}".${attached} Configure MODEL_CATALOG_FILE to talk to a real model.`;
}

/** The prefix that makes the demo call `file_search` (when the turn offers it). */
export const DEMO_SEARCH_PREFIX = 'search:';

/**
 * The demo's tool call, if it makes one: a last user message starting with "search:" on a turn
 * that offers `file_search`, not answered by a tool result yet, searches for the rest of it.
 */
export function demoToolCall(request: Pick<ChatRequest, 'messages' | 'tools'>): ProviderToolCall | undefined {
  if (!request.tools?.some((t) => t.name === 'file_search')) return undefined;
  const last = request.messages[request.messages.length - 1];
  if (!last || last.role !== 'user') return undefined;
  const written = (last.attachments?.userText ?? textOf(last)).trim();
  if (!written.toLowerCase().startsWith(DEMO_SEARCH_PREFIX)) return undefined;
  const query = written.slice(DEMO_SEARCH_PREFIX.length).trim() || written;
  const round = request.messages.filter((m) => m.role === 'tool').length + 1;
  return { id: `call_demo_${round}`, name: 'file_search', arguments: JSON.stringify({ query }) };
}

/** The demo's answer after a tool result: what the tool found, passage by passage, or why it failed. */
export function demoToolAnswer(result: ChatMessage): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(textOf(result));
  } catch {
    return `This is the local demo model, not an AI. The tool answered: ${textOf(result).slice(0, 200)}`;
  }
  const value = parsed as {
    error?: string;
    message?: string;
    query?: string;
    passages?: Array<{ ref: number; file: string; chunkIndex: number; text: string }>;
  };
  if (value.error) return `This is the local demo model, not an AI. file_search failed (${value.error}): ${value.message ?? ''}`;
  const passages = value.passages ?? [];
  if (passages.length === 0)
    return `This is the local demo model, not an AI. I searched your files for "${value.query ?? ''}" and found nothing.`;
  const listed = passages
    .map((p) => `[${p.ref}] "${p.file}" (chunk ${p.chunkIndex}): "${p.text.replace(/\s+/g, ' ').slice(0, 80)}"`)
    .join('; ');
  return `This is the local demo model, not an AI. I searched your files for "${value.query ?? ''}" and found ${passages.length} passage${passages.length === 1 ? '' : 's'}: ${listed}.`;
}

/** The demo's title for a conversation starting with `firstUserMessage`: its first words. */
export function demoTitle(firstUserMessage: string): string {
  const words = firstUserMessage.replace(/\s+/g, ' ').trim().split(' ').filter(Boolean).slice(0, 6);
  if (words.length === 0) return 'New conversation';
  const title = words.join(' ').replace(/[.,;:!?]+$/, '');
  return (title.charAt(0).toUpperCase() + title.slice(1)).slice(0, 80);
}

/** A deterministic bag-of-words hashing embedding (signed feature hashing, L2-normalized). */
export function demoEmbedding(text: string, dimensions = DEMO_EMBEDDING_DIMENSIONS): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const digest = createHash('sha256').update(word).digest();
    const index = digest.readUInt32BE(0) % dimensions;
    vector[index] = (vector[index] ?? 0) + ((digest[4] ?? 0) & 1 ? 1 : -1);
  }
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return norm === 0 ? vector : vector.map((x) => x / norm);
}

/** Resolves after `ms`, or rejects with an aborted ProviderError when `signal` fires. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ProviderError('aborted', 'the request was aborted'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new ProviderError('aborted', 'the request was aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class DemoChatProvider implements ChatProvider {
  readonly kind = 'demo' as const;

  constructor(
    readonly id: string,
    private readonly tokenIntervalMs: number,
  ) {}

  async *streamChat(request: ChatRequest): AsyncIterable<ChatChunk> {
    const call = demoToolCall(request);
    if (call) {
      await pause(this.tokenIntervalMs, request.signal);
      yield { toolActivity: true };
      yield { toolCalls: [call], finishReason: 'tool_calls' };
      return;
    }
    const last = request.messages[request.messages.length - 1];
    const answer = last?.role === 'tool' ? demoToolAnswer(last) : demoAnswer(request.messages);
    const tokens = answer.match(/\S+\s*/g) ?? [];
    for (const token of tokens) {
      await pause(this.tokenIntervalMs, request.signal);
      yield { delta: token };
    }
    yield { finishReason: 'stop' };
  }

  async completeChat(request: ChatRequest): Promise<{ text: string }> {
    const first = request.messages.find((m) => m.role === 'user');
    return { text: demoTitle(first ? textOf(first) : '') };
  }

  async embed(request: { input: string[] }): Promise<number[][]> {
    return request.input.map((text) => demoEmbedding(text));
  }
}
