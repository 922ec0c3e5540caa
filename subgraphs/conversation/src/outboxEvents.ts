import { outboxEvent, type OutboxEvent } from '@chatgraph/kit/events';
import { aiGenerationV1, conversationConversationV1, conversationMessageV1 } from '@chatgraph/schema';
import type { ContextWindow } from './contextWindow';
import type { ConversationDoc, MessageDoc } from './store';

/**
 * The outbox entries conversation writes, built from the documents they describe. Every topic is
 * keyed by the conversation id, so one conversation's events stay in order across topics' consumers.
 */

const conversationSubject = (c: Pick<ConversationDoc, '_id' | 'ownerId'>) => ({ conversationId: c._id, ownerId: c.ownerId });
const messageSubject = (m: MessageDoc) => ({ conversationId: m.conversationId, messageId: m._id, ownerId: m.ownerId });

/** A conversation exists (created, forked, or started by a first message). */
export function conversationCreated(c: ConversationDoc): OutboxEvent {
  const payload = { title: c.title, ...(c.model ? { model: c.model } : {}), ...(c.assistantId ? { assistantId: c.assistantId } : {}) };
  const event = conversationConversationV1.create('conversation.created', conversationSubject(c), payload);
  return outboxEvent(conversationConversationV1.topic, c._id, event);
}

/** Fields of a conversation changed; `changes` holds only those. */
export function conversationUpdated(
  c: Pick<ConversationDoc, '_id' | 'ownerId'>,
  changes: { title?: string; pinned?: boolean; archived?: boolean; tags?: string[] },
): OutboxEvent {
  const event = conversationConversationV1.create('conversation.updated', conversationSubject(c), changes);
  return outboxEvent(conversationConversationV1.topic, c._id, event);
}

/** The conversation is gone, after its `messageCount` messages. */
export function conversationDeleted(c: ConversationDoc, messageCount: number): OutboxEvent {
  const event = conversationConversationV1.create('conversation.deleted', conversationSubject(c), { messageCount });
  return outboxEvent(conversationConversationV1.topic, c._id, event);
}

/** A message was added to the tree (a pending assistant message has empty content). */
export function messageCreated(m: MessageDoc): OutboxEvent {
  const event = conversationMessageV1.create('message.created', messageSubject(m), {
    role: m.role,
    parentId: m.parentId,
    content: m.content,
    status: m.status,
  });
  return outboxEvent(conversationMessageV1.topic, m.conversationId, event);
}

/** An assistant message reached its final state; `m` is the message as it is after completion. */
export function messageCompleted(m: MessageDoc): OutboxEvent {
  const payload = { status: m.status, content: m.content, finishReason: m.finishReason, tokenCount: m.tokenCount, model: m.model };
  const event = conversationMessageV1.create('message.completed', messageSubject(m), payload);
  return outboxEvent(conversationMessageV1.topic, m.conversationId, event);
}

/** The message is gone with its conversation. */
export function messageDeleted(m: MessageDoc): OutboxEvent {
  const event = conversationMessageV1.create('message.deleted', messageSubject(m), { reason: 'conversation-deleted' });
  return outboxEvent(conversationMessageV1.topic, m.conversationId, event);
}

/** An assistant thread's sampling parameters and the assistant version a turn used. */
export interface GenerationSampling {
  temperature?: number;
  topP?: number;
  assistantId: string;
  assistantVersion: number;
  /** The assistant's tool list (the tools the turn may use). */
  tools?: string[];
  /** The assistant's knowledge files and their owner, for `file_search`. */
  knowledge?: { ownerId: string; fileIds: string[] };
}

/** Asks ai-gateway to generate the pending assistant message `m` from `context`. */
export function generationRequested(
  m: MessageDoc & { streamId: string; model: string },
  context: ContextWindow,
  generateTitle = false,
  sampling?: GenerationSampling,
): OutboxEvent {
  const subject = { ...messageSubject(m), streamId: m.streamId };
  const messages = context.messages.map((c) => ({
    role: c.role,
    content: c.content,
    ...(c.fileIds && c.fileIds.length > 0 ? { fileIds: c.fileIds } : {}),
  }));
  const payload = {
    model: m.model,
    messages,
    droppedMessages: context.dropped,
    estimatedPromptTokens: context.estimatedTokens,
    ...(generateTitle ? { generateTitle } : {}),
    ...sampling,
  };
  const event = aiGenerationV1.create('generation.requested', subject, payload);
  return outboxEvent(aiGenerationV1.topic, m.conversationId, event);
}

/** The owner rated `m` (which carries the new feedback). */
export function messageRated(m: MessageDoc & { feedback: NonNullable<MessageDoc['feedback']> }): OutboxEvent {
  const event = conversationMessageV1.create('message.rated', messageSubject(m), {
    rating: m.feedback.rating,
    comment: m.feedback.comment,
  });
  return outboxEvent(conversationMessageV1.topic, m.conversationId, event);
}
