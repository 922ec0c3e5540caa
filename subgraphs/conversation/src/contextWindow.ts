import type { MessageRole } from './store';

/** One message as the model sees it. */
export interface ContextMessage {
  role: MessageRole;
  content: string;
  /** Files attached to a user message (ids; ai-gateway resolves them through the file service). */
  fileIds?: string[];
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

/** Where a model's history budget comes from (`MODEL_CONTEXT_WINDOWS` until ai-gateway's catalog replaces it). */
export interface ContextBudgetOptions {
  /** Used for a model whose window is not known. */
  contextTokenBudget: number;
  modelContextWindows: Readonly<Record<string, number>>;
  /** Tokens of a known window kept free for the answer. */
  contextReplyReserveTokens: number;
}

/**
 * The history budget of `model`: its context window minus the reply reserve when the window is
 * known, `contextTokenBudget` otherwise. Never less than 1 (the newest message is kept anyway).
 */
export function contextBudgetFor(model: string, options: ContextBudgetOptions): number {
  const window = Object.hasOwn(options.modelContextWindows, model) ? options.modelContextWindows[model] : undefined;
  if (window === undefined) return options.contextTokenBudget;
  return Math.max(1, window - options.contextReplyReserveTokens);
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
