import { outboxEvent, type OutboxEvent } from '@chatgraph/kit/events';
import { aiGenerationV1, type CitationRecord, type TokenUsage, type ToolCallRecord } from '@chatgraph/schema';
import type { GenerationDoc } from './store';

/**
 * The outbox entries ai-gateway writes on a generation document, keyed by conversation id like
 * every `ai.generation.v1` event, so one conversation's requests and outcomes stay in order.
 */

type Subject = Pick<GenerationDoc, 'conversationId' | 'messageId' | 'streamId' | 'ownerId'>;
const subjectOf = (g: Subject) => ({ conversationId: g.conversationId, messageId: g.messageId, streamId: g.streamId, ownerId: g.ownerId });

/** Contract bound of `content` (200,000 characters): a longer answer is cut, never rejected. */
const MAX_CONTENT = 200_000;
const clip = (text: string, max: number): string => (text.length > max ? text.slice(0, max) : text);

export function generationStarted(g: Subject & { model: string }, deployment: string): OutboxEvent {
  const event = aiGenerationV1.create('generation.started', subjectOf(g), { model: g.model, deployment });
  return outboxEvent(aiGenerationV1.topic, g.conversationId, event);
}

export function generationCompleted(
  g: Subject & { model: string },
  result: {
    text: string;
    finishReason: string;
    usage: TokenUsage;
    deployment?: string;
    usageSource: 'provider' | 'counted';
    toolCalls?: ToolCallRecord[];
    citations?: CitationRecord[];
  },
): OutboxEvent {
  const event = aiGenerationV1.create('generation.completed', subjectOf(g), {
    content: clip(result.text, MAX_CONTENT),
    finishReason: result.finishReason,
    model: g.model,
    usage: result.usage,
    ...(result.deployment ? { deployment: result.deployment } : {}),
    usageSource: result.usageSource,
    ...(result.toolCalls && result.toolCalls.length > 0 ? { toolCalls: result.toolCalls } : {}),
    ...(result.citations && result.citations.length > 0 ? { citations: result.citations } : {}),
  });
  return outboxEvent(aiGenerationV1.topic, g.conversationId, event);
}

export function generationFailed(
  g: Subject & { model: string },
  failure: { error: string; text: string; finishReason: string; toolCalls?: ToolCallRecord[] },
): OutboxEvent {
  const event = aiGenerationV1.create('generation.failed', subjectOf(g), {
    error: clip(failure.error, 2000),
    content: clip(failure.text, MAX_CONTENT),
    model: g.model,
    finishReason: failure.finishReason,
    ...(failure.toolCalls && failure.toolCalls.length > 0 ? { toolCalls: failure.toolCalls } : {}),
  });
  return outboxEvent(aiGenerationV1.topic, g.conversationId, event);
}

export function titleGenerated(g: Subject, title: string, model: string): OutboxEvent {
  const event = aiGenerationV1.create('title.generated', subjectOf(g), { title: clip(title, 200), model });
  return outboxEvent(aiGenerationV1.topic, g.conversationId, event);
}
