import { defineTopic, type EventsOf } from '../contract';
import { idString } from '../envelope';
import { z } from 'zod';
import { bounded, count, text } from '../validation';

/**
 * `assistant.assistant.v1`: the life of an assistant, produced by the assistant subgraph through
 * its outbox and keyed by `assistantId`, so one assistant's events stay in order. Consumers keep a
 * read model from it: conversation checks that a caller may use an assistant and applies its
 * instructions, model, parameters, tools and knowledge files to each turn of its thread, without
 * ever calling the assistant service.
 *
 * `assistant.created` and `assistant.updated` carry the assistant whole (the state after the
 * change, with its `version`), so a consumer replaces what it holds when the version is newer and
 * needs no earlier event. `assistant.deleted` is a tombstone: forget it, refuse new turns.
 */

const subject = z.object({ assistantId: idString, ownerId: idString });

/** Who may use an assistant: its owner only, the owner and the users named, or everyone. */
export const ASSISTANT_VISIBILITIES = ['PRIVATE', 'SHARED', 'PUBLIC'] as const;

/** The built-in tools an assistant may enable; MCP tools are named by `MCP_TOOL_NAME`. */
export const ASSISTANT_TOOLS = ['file_search'] as const;

/**
 * A tool of an MCP server registered with ai-gateway, as the model sees it: `mcp__<server>__<tool>`,
 * at most 64 characters (the providers' rule). Which servers and tools exist is ai-gateway's
 * configuration: an assistant may name one that is not (or no longer) served; ai-gateway then
 * does not offer it, and a call to it ends `TOOL_UNKNOWN`.
 */
export const MCP_TOOL_NAME = /^mcp__[a-zA-Z0-9-]{1,24}__[a-zA-Z0-9_-]+$/;

/** Whether `name` is a tool an assistant may enable: a built-in one, or a well-formed MCP tool name. */
export function isAssistantTool(name: string): name is AssistantTool {
  return (ASSISTANT_TOOLS as readonly string[]).includes(name) || (name.length <= 64 && MCP_TOOL_NAME.test(name));
}

/** Limits of an assistant, shared by the producer (its input checks) and the contract. */
export const ASSISTANT_LIMITS = {
  /** Characters of a name. */
  name: 256,
  /** Characters of a description. */
  description: 2_000,
  /** Characters of the instructions (32 KB of text). */
  instructions: 32_768,
  /** Characters of a model id. */
  model: 200,
  /** Tools enabled. */
  tools: 20,
  /** Knowledge files. */
  files: 20,
  /** Conversation starters, and characters of each. */
  starters: 4,
  starter: 500,
  /** Users an assistant is shared with. */
  sharedWith: 100,
} as const;

/** What a consumer needs to let a user use the assistant and to run a turn with it. */
const state = z.object({
  /** Bumped by every change: a consumer keeps the newest it has seen. */
  version: count(1),
  name: text(ASSISTANT_LIMITS.name),
  /** The system prompt of every turn of its threads (may be empty). */
  instructions: bounded(0, ASSISTANT_LIMITS.instructions),
  model: text(ASSISTANT_LIMITS.model),
  /** 0 to 2; null: the model's default. */
  temperature: z.number().min(0).max(2).nullable(),
  /** 0 to 1; null: the model's default. */
  topP: z.number().min(0).max(1).nullable(),
  tools: z.array(z.string().refine(isAssistantTool, 'a built-in tool or mcp__<server>__<tool>')).max(ASSISTANT_LIMITS.tools),
  /** The knowledge files `file_search` searches (ids of the file subgraph's files). */
  fileIds: z.array(idString).max(ASSISTANT_LIMITS.files),
  visibility: z.enum(ASSISTANT_VISIBILITIES),
  /** With SHARED: the users besides the owner who may use it (empty otherwise). */
  sharedWith: z.array(idString).max(ASSISTANT_LIMITS.sharedWith),
});

const events = {
  /** A new assistant exists (created, or duplicated from another). */
  'assistant.created': { subject, payload: state },
  /** The assistant changed (settings, visibility or sharing): its whole state after the change. */
  'assistant.updated': { subject, payload: state },
  /**
   * The assistant is gone (its owner or an ADMIN deleted it, or its owner's account was deleted):
   * forget it and refuse new turns with it. `version` is its last version. (Payloads are never
   * empty objects: document stores drop them.)
   */
  'assistant.deleted': { subject, payload: z.object({ version: count(1) }) },
};

/** The `assistant.assistant.v1` contract. */
export const assistantAssistantV1 = defineTopic({ topic: 'assistant.assistant.v1', keyedBy: 'assistantId', events });

/** Any event of `assistant.assistant.v1`, discriminated by `type`. */
export type AssistantEvent = EventsOf<typeof events>;
/** The state `assistant.created` and `assistant.updated` carry. */
export type AssistantState = z.infer<typeof state>;
/** Who may use an assistant. */
export type AssistantVisibility = (typeof ASSISTANT_VISIBILITIES)[number];
/** A tool an assistant may enable. */
export type AssistantTool = (typeof ASSISTANT_TOOLS)[number] | `mcp__${string}`;
