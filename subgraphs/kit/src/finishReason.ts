/**
 * `FinishReason`, the closed enum the graph shows for why a generation ended. Generations store
 * the provider's own lowercase word (OpenAI-compatible providers say `stop`, `length`,
 * `content_filter`, `tool_calls`; ai-gateway adds `aborted`, `error`, `interrupted`); any word a
 * provider invents later shows as OTHER rather than failing the query. Shared by conversation
 * (`Message.finishReason`) and streaming (`StreamChunk.finishReason`), which define the enum alike.
 */
export const FINISH_REASONS = ['STOP', 'LENGTH', 'CONTENT_FILTER', 'TOOL_CALLS', 'ABORTED', 'ERROR', 'INTERRUPTED', 'OTHER'] as const;

export type FinishReason = (typeof FINISH_REASONS)[number];

/** The enum value for a stored finish reason; null stays null (the generation has not ended). */
export function toFinishReason(stored: string | null | undefined): FinishReason | null {
  if (stored === null || stored === undefined) return null;
  const upper = stored.toUpperCase();
  return (FINISH_REASONS as readonly string[]).includes(upper) ? (upper as FinishReason) : 'OTHER';
}
