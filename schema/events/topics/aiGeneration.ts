import { defineTopic, type EventsOf } from '../contract';
import { idString } from '../envelope';
import { array, boolean, number, object, oneOf, optional, string } from '../validation';

/**
 * `ai.generation.v1`: generation requests (produced by conversation) and their outcomes
 * (produced by ai-gateway), keyed by `conversationId` so a conversation's requests and results
 * stay in order. Tokens never travel here: only the facts about finished work.
 */

const subject = object({ conversationId: idString, messageId: idString, streamId: idString, ownerId: idString });
const model = string({ maxLength: 200 });
const text = string({ minLength: 0, maxLength: 200_000 });
const count = number({ integer: true, min: 0 });

const events = {
  /** Generate the assistant message `messageId` from `messages` (already trimmed to the context window). */
  'generation.requested': {
    subject,
    payload: object({
      model,
      messages: array(
        object({
          role: oneOf(['USER', 'ASSISTANT', 'SYSTEM'] as const),
          content: text,
          /** Files attached to a user message (added later: optional, absent when there are none). */
          fileIds: optional(array(string({ minLength: 1, maxLength: 64 }), { maxItems: 10 })),
        }),
        { maxItems: 2_000 },
      ),
      /** Messages of the branch left out to fit the context budget. */
      droppedMessages: count,
      estimatedPromptTokens: count,
      /** Ask for a generated conversation title once this answer completes (first answer of a conversation whose title the user did not set). Added later: optional. */
      generateTitle: optional(boolean()),
    }),
  },
  /** The provider sent the first token: the message is now STREAMING. */
  'generation.started': {
    subject,
    payload: object({ model, deployment: string({ maxLength: 200 }) }),
  },
  /**
   * The generation ended normally, or was stopped by its owner (`finishReason: 'aborted'`, the
   * message then ends ABORTED with the partial text): the text and its usage.
   */
  'generation.completed': {
    subject,
    payload: object({
      content: text,
      finishReason: string({ maxLength: 100 }),
      model,
      usage: object({ promptTokens: count, completionTokens: count, totalTokens: count }),
      /** The provider deployment that served it (`<provider>/<model>`). Added later: optional. */
      deployment: optional(string({ maxLength: 200 })),
      /** Whether `usage` came from the provider or was counted locally. Added later: optional. */
      usageSource: optional(oneOf(['provider', 'counted'] as const)),
    }),
  },
  /** The generation failed; `content` holds whatever was produced before the failure. */
  'generation.failed': {
    subject,
    payload: object({ error: string({ maxLength: 2000 }), content: optional(text), model: optional(model), finishReason: optional(string({ maxLength: 100 })) }),
  },
  /** A title was generated for the conversation after its first answer. */
  'title.generated': {
    subject,
    payload: object({ title: string({ maxLength: 200 }), model }),
  },
};

/** The `ai.generation.v1` contract. */
export const aiGenerationV1 = defineTopic({ topic: 'ai.generation.v1', keyedBy: 'conversationId', events });

/** Any event of `ai.generation.v1`. */
export type AiGenerationEvent = EventsOf<typeof events>;
