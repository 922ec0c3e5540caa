import { codedError } from '@chatgraph/kit';
import { ASSISTANT_LIMITS, ASSISTANT_TOOLS, isAssistantTool, type AssistantTool } from '@chatgraph/schema';

/**
 * The checks of every field a client sends. Each refusal is BAD_USER_INPUT naming the field (and
 * the limit), thrown before anything is written.
 */

/** What an id (an assistant's, a user's, a file's) looks like; the event contracts accept the same. */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A model id: no spaces, at most ASSISTANT_LIMITS.model characters. */
const MODEL_PATTERN = /^[A-Za-z0-9_.:/@+-]+$/;

function tooLong(field: string, max: number, actual: number): never {
  throw codedError('BAD_USER_INPUT', `${field} is longer than ${max} characters`, { field, max, actual });
}

/** True when `id` could be an id (malformed ids are refused before any read). */
export function isId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** `id` if well formed, else BAD_USER_INPUT on `field`. */
export function checkId(id: string, field = 'id'): string {
  if (!isId(id)) throw codedError('BAD_USER_INPUT', `${field} is not a valid id`, { field });
  return id;
}

/** A name: trimmed, 1 to 256 characters. */
export function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw codedError('BAD_USER_INPUT', 'name must not be empty', { field: 'name' });
  if (trimmed.length > ASSISTANT_LIMITS.name) tooLong('name', ASSISTANT_LIMITS.name, trimmed.length);
  return trimmed;
}

/** A description: trimmed, at most 2,000 characters; empty means none. */
export function checkDescription(description: string): string | null {
  const trimmed = description.trim();
  if (trimmed.length > ASSISTANT_LIMITS.description) tooLong('description', ASSISTANT_LIMITS.description, trimmed.length);
  return trimmed.length === 0 ? null : trimmed;
}

/** Instructions: at most 32 KB of UTF-8 (so at most as many characters); may be empty. */
export function checkInstructions(instructions: string): string {
  const bytes = Buffer.byteLength(instructions, 'utf8');
  if (bytes > ASSISTANT_LIMITS.instructions)
    throw codedError('BAD_USER_INPUT', `instructions are larger than ${ASSISTANT_LIMITS.instructions} bytes`, {
      field: 'instructions',
      max: ASSISTANT_LIMITS.instructions,
      actual: bytes,
    });
  return instructions;
}

/** A model id (which models exist is ai-gateway's catalog; the thread's turn checks it). */
export function checkModel(model: string): string {
  const trimmed = model.trim();
  if (trimmed.length === 0 || !MODEL_PATTERN.test(trimmed))
    throw codedError('BAD_USER_INPUT', 'model must be a model id such as `gpt-4o-mini`', { field: 'model' });
  if (trimmed.length > ASSISTANT_LIMITS.model) tooLong('model', ASSISTANT_LIMITS.model, trimmed.length);
  return trimmed;
}

/** A number within `min`..`max`; null means the model's default. */
export function checkRange(value: number | null, field: 'temperature' | 'topP', min: number, max: number): number | null {
  if (value === null) return null;
  if (!Number.isFinite(value) || value < min || value > max)
    throw codedError('BAD_USER_INPUT', `${field} must be between ${min} and ${max}`, { field, min, max });
  return value;
}

/** At most `max` items, else BAD_USER_INPUT with the limit. */
function atMost<T>(items: readonly T[], field: string, max: number): readonly T[] {
  if (items.length > max) throw codedError('BAD_USER_INPUT', `${field} holds more than ${max} items`, { field, max, actual: items.length });
  return items;
}

/** Conversation starters: at most 4, each trimmed, 1 to 500 characters. */
export function checkStarters(starters: readonly string[]): string[] {
  return atMost(starters, 'conversationStarters', ASSISTANT_LIMITS.starters).map((starter) => {
    const trimmed = starter.trim();
    if (trimmed.length === 0) throw codedError('BAD_USER_INPUT', 'a conversation starter is empty', { field: 'conversationStarters' });
    if (trimmed.length > ASSISTANT_LIMITS.starter) tooLong('conversationStarters', ASSISTANT_LIMITS.starter, trimmed.length);
    return trimmed;
  });
}

/** Tools: known ones only (`file_search`), at most 20, each once. */
export function checkTools(tools: readonly string[]): AssistantTool[] {
  atMost(tools, 'tools', ASSISTANT_LIMITS.tools);
  const unknown = tools.find((tool) => !isAssistantTool(tool));
  if (unknown !== undefined)
    throw codedError('BAD_USER_INPUT', `tools: unknown tool (known: ${ASSISTANT_TOOLS.join(', ')}, or mcp__<server>__<tool>)`, {
      field: 'tools',
      tool: unknown.slice(0, 100),
    });
  return [...new Set(tools)].filter(isAssistantTool);
}

/** Ids (knowledge files, users shared with): well formed, at most `max`, each once. */
export function checkIds(ids: readonly string[], field: 'fileIds' | 'userIds', max: number): string[] {
  atMost(ids, field, max);
  for (const id of ids) checkId(id, field);
  return [...new Set(ids)];
}
