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

/** One tool call of an answer, as it is stored on the message and shown after a reload. */
export const toolCallRecord = z.object({
  /** The provider's call id. */
  id: text(200),
  name: text(100),
  /** The arguments as the model sent them (JSON text, cut at 4,000 characters). */
  arguments: bounded(0, 4_000),
  /** `OK`, or the failure code (TOOL_TIMEOUT, TOOL_RESULT_TOO_LARGE, TOOL_FAILED, ...). */
  outcome: text(50),
  /** What the call found or why it failed, for the client (at most 500 characters). */
  summary: bounded(0, 500),
  durationMs: count(),
});
/** A passage of a file that `file_search` found, which the answer may cite. */
export const citationRecord = z.object({
  fileId: idString,
  filename: text(255),
  /** 0-based position of the chunk in the file. */
  chunkIndex: count(),
  snippet: bounded(0, 1_000),
});
/** A tool call as `generation.completed` carries it. */
export type ToolCallRecord = z.infer<typeof toolCallRecord>;
/** A citation as `generation.completed` carries it. */
export type CitationRecord = z.infer<typeof citationRecord>;

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
      /** The tools the turn may use (an assistant thread's tool list: `file_search`, MCP tools). Added later: optional (absent: none). */
      tools: z.array(text(100)).max(50).optional(),
      /**
       * The assistant's knowledge files `file_search` may search, and their owner (the assistant's
       * owner: conversation checked the caller may use the assistant). Added later: optional.
       */
      knowledge: z.object({ ownerId: idString, fileIds: z.array(idString).max(50) }).optional(),
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
      /** The tool calls the answer made, in order. Added later: optional (absent: none). */
      toolCalls: z.array(toolCallRecord).max(100).optional(),
      /** What `file_search` found that the answer may cite. Added later: optional (absent: none). */
      citations: z.array(citationRecord).max(100).optional(),
    }),
  },
  /** The generation failed; `content` holds whatever was produced before the failure. */
  'generation.failed': {
    subject,
    payload: z.object({
      error: text(2000),
      content: content.optional(),
      model: model.optional(),
      finishReason: text(100).optional(),
      /** The tool calls made before the failure. Added later: optional (absent: none). */
      toolCalls: z.array(toolCallRecord).max(100).optional(),
    }),
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
