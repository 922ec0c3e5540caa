import { countTokens } from 'gpt-tokenizer';
import type { TokenUsage } from '@chatgraph/schema';
import { textOf, type ChatMessage } from '../providers/types';

/**
 * Token usage when the provider reports none (the demo model, servers without
 * `stream_options.include_usage`, a stream cut before its usage chunk): counted with the
 * cl100k/o200k tokenizer of `gpt-tokenizer`. Exact for OpenAI models, an estimate for others.
 */

/** Tokens the chat format adds around each message (OpenAI's documented overhead). */
const PER_MESSAGE_OVERHEAD = 4;
/** Tokens priming the assistant's reply. */
const REPLY_PRIMING = 3;
/**
 * Tokens counted for an image part: OpenAI's price of an image of at most 1024 px a side at high
 * detail (the file service prepares vision images no larger). An estimate for other providers.
 */
export const IMAGE_PROMPT_TOKENS = 765;

const imagesIn = (m: ChatMessage): number => (typeof m.content === 'string' ? 0 : m.content.filter((p) => p.type === 'image_url').length);

export function countPromptTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce(
    (sum, m) => sum + countTokens(textOf(m)) + imagesIn(m) * IMAGE_PROMPT_TOKENS + PER_MESSAGE_OVERHEAD,
    REPLY_PRIMING,
  );
}

export function countedUsage(messages: readonly ChatMessage[], completion: string): TokenUsage {
  const promptTokens = countPromptTokens(messages);
  const completionTokens = completion.length === 0 ? 0 : countTokens(completion);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}
