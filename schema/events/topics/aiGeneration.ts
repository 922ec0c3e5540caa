import { defineTopic, type EventsOf } from '../contract';
import { idString } from '../envelope';
import { z } from 'zod';
import { bounded, count, text } from '../validation';

/**
 * `ai.generation.v1`: generation requests (produced by conversation) and their outcomes
 * (produced by ai-gateway), keyed by `conversationId` so a conversation's requests and results
 * stay in order. Tokens never travel here: only the facts about finished work.
 */

const subject = z.object({ conversationId: idString, messageId: idString, streamId: idString, ownerId: idString });
const model = text(200);
const content = bounded(0, 200_000);
const tokens = count();

const events = {
  /** Generate the assistant message `messageId` from `messages` (already trimmed to the context window). */
  'generation.requested': {
    subject,
    payload: z.object({
      model,
      messages: z
        .array(
          z.object({
            role: z.enum(['USER', 'ASSISTANT', 'SYSTEM']),
            content,
            /** Files attached to a user message (added later: optional, absent when there are none). */
            fileIds: z.array(text(64)).max(10).optional(),
          }),
        )
        .max(2_000),
      /** Messages of the branch left out to fit the context budget. */
      droppedMessages: tokens,
      estimatedPromptTokens: tokens,
      /** Ask for a generated conversation title once this answer completes (first answer of a conversation whose title the user did not set). Added later: optional. */
      generateTitle: z.boolean().optional(),
      /** Sampling temperature (0 to 2) of an assistant's thread; absent: the model's default. Added later: optional. */
      temperature: z.number().min(0).max(2).optional(),
      /** Nucleus sampling (0 to 1) of an assistant's thread; absent: the model's default. Added later: optional. */
      topP: z.number().min(0).max(1).optional(),
      /** The assistant whose thread this turn belongs to, and the version of it the turn used. Added later: optional. */
      assistantId: idString.optional(),
      assistantVersion: count(1).optional(),
    }),
  },
  /** The provider sent the first token: the message is now STREAMING. */
  'generation.started': {
    subject,
    payload: z.object({ model, deployment: text(200) }),
  },
  /**
   * The generation ended normally, or was stopped by its owner (`finishReason: 'aborted'`, the
   * message then ends ABORTED with the partial text): the text and its usage.
   */
  'generation.completed': {
    subject,
    payload: z.object({
      content,
      finishReason: text(100),
      model,
      usage: z.object({ promptTokens: tokens, completionTokens: tokens, totalTokens: tokens }),
      /** The provider deployment that served it (`<provider>/<model>`). Added later: optional. */
      deployment: text(200).optional(),
      /** Whether `usage` came from the provider or was counted locally. Added later: optional. */
      usageSource: z.enum(['provider', 'counted']).optional(),
    }),
  },
  /** The generation failed; `content` holds whatever was produced before the failure. */
  'generation.failed': {
    subject,
    payload: z.object({ error: text(2000), content: content.optional(), model: model.optional(), finishReason: text(100).optional() }),
  },
  /** A title was generated for the conversation after its first answer. */
  'title.generated': {
    subject,
    payload: z.object({ title: text(200), model }),
  },
};

/** The `ai.generation.v1` contract. */
export const aiGenerationV1 = defineTopic({ topic: 'ai.generation.v1', keyedBy: 'conversationId', events });

/** Any event of `ai.generation.v1`. */
export type AiGenerationEvent = EventsOf<typeof events>;
