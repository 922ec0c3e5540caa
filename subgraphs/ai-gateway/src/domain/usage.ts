import { countTokens } from 'gpt-tokenizer';
import type { TokenUsage } from '@chatgraph/schema';
import type { ChatMessage } from '../providers/types';

/**
 * Token usage when the provider reports none (the demo model, servers without
 * `stream_options.include_usage`, a stream cut before its usage chunk): counted with the
 * cl100k/o200k tokenizer of `gpt-tokenizer`. Exact for OpenAI models, an estimate for others.
 */

/** Tokens the chat format adds around each message (OpenAI's documented overhead). */
const PER_MESSAGE_OVERHEAD = 4;
/** Tokens priming the assistant's reply. */
const REPLY_PRIMING = 3;

export function countPromptTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + countTokens(m.content) + PER_MESSAGE_OVERHEAD, REPLY_PRIMING);
}

export function countedUsage(messages: readonly ChatMessage[], completion: string): TokenUsage {
  const promptTokens = countPromptTokens(messages);
  const completionTokens = completion.length === 0 ? 0 : countTokens(completion);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}
