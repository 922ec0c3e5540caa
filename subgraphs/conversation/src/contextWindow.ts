import type { MessageRole } from './store';

/** One message as the model sees it. */
export interface ContextMessage {
  role: MessageRole;
  content: string;
}

export interface ContextWindow {
  messages: ContextMessage[];
  /** Messages of the branch left out to fit the budget (the oldest turns). */
  dropped: number;
  estimatedTokens: number;
}

/** Per-message overhead of chat formats (role markers, separators), in tokens. */
const MESSAGE_OVERHEAD_TOKENS = 4;

/**
 * A cheap token estimate (~4 characters per token for English text). It only has to keep a
 * request inside the model's context window with some margin, so no tokenizer is loaded.
 */
export function estimateTokens(message: ContextMessage): number {
  return Math.ceil(message.content.length / 4) + MESSAGE_OVERHEAD_TOKENS;
}

/**
 * Trims a branch (oldest first) to `budgetTokens`: the system prompt is always kept, then turns
 * are taken from the newest backwards while they fit. The newest message is kept even when it
 * alone exceeds the budget: dropping the question would answer nothing.
 */
export function buildContextWindow(systemPrompt: string | null, branch: readonly ContextMessage[], budgetTokens: number): ContextWindow {
  const system: ContextMessage[] = systemPrompt ? [{ role: 'SYSTEM', content: systemPrompt }] : [];
  let used = system.reduce((sum, m) => sum + estimateTokens(m), 0);
  const kept: ContextMessage[] = [];
  for (let i = branch.length - 1; i >= 0; i--) {
    const message = branch[i];
    if (!message) continue;
    const cost = estimateTokens(message);
    if (kept.length > 0 && used + cost > budgetTokens) break;
    kept.push(message);
    used += cost;
  }
  kept.reverse();
  return { messages: [...system, ...kept], dropped: branch.length - kept.length, estimatedTokens: used };
}
