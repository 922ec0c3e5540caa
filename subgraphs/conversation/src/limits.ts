import { codedError } from '@chatgraph/kit';

/** Limits a client can hit, each refused with BAD_USER_INPUT naming the field before anything is written. */
export const LIMITS = {
  titleLength: 200,
  tags: 20,
  tagLength: 50,
  contentLength: 32_000,
  systemPromptLength: 32_000,
  modelLength: 200,
  /** Files attached to one message, and the longest file id. */
  fileIds: 10,
  fileIdLength: 64,
  /** Deepest message in a tree (a root is depth 0): bounds every walk up the tree. */
  treeDepth: 1_000,
} as const;

/** A trimmed, non-empty title of at most 200 characters. */
export function checkTitle(title: string, field = 'title'): string {
  const trimmed = title.trim();
  if (trimmed.length === 0) throw codedError('BAD_USER_INPUT', `${field} must not be empty`, { field });
  if (trimmed.length > LIMITS.titleLength)
    throw codedError('BAD_USER_INPUT', `${field} must have at most ${LIMITS.titleLength} characters`, { field });
  return trimmed;
}

/** Trimmed, de-duplicated tags: at most 20, each 1 to 50 characters. */
export function checkTags(tags: readonly string[]): string[] {
  const unique = [...new Set(tags.map((tag) => tag.trim()))];
  if (unique.length > LIMITS.tags) throw codedError('BAD_USER_INPUT', `tags must have at most ${LIMITS.tags} entries`, { field: 'tags' });
  for (const tag of unique) {
    if (tag.length === 0 || tag.length > LIMITS.tagLength)
      throw codedError('BAD_USER_INPUT', `each tag must have 1 to ${LIMITS.tagLength} characters`, { field: 'tags' });
  }
  return unique;
}

/** Message text a user sends: not blank, at most 32,000 characters. */
export function checkContent(content: string): string {
  if (content.trim().length === 0) throw codedError('BAD_USER_INPUT', 'content must not be empty', { field: 'content' });
  if (content.length > LIMITS.contentLength)
    throw codedError('BAD_USER_INPUT', `content must have at most ${LIMITS.contentLength} characters`, { field: 'content' });
  return content;
}

/** A model name, if given: 1 to 200 characters. */
export function checkModel(model: string | null | undefined): string | undefined {
  if (model === null || model === undefined) return undefined;
  const trimmed = model.trim();
  if (trimmed.length === 0 || trimmed.length > LIMITS.modelLength)
    throw codedError('BAD_USER_INPUT', `model must have 1 to ${LIMITS.modelLength} characters`, { field: 'model' });
  return trimmed;
}

/**
 * File ids attached to a message, their shape only: at most 10, each a non-empty id of at most 64
 * characters, no duplicates. Whether each is the caller's READY file is checked next, against the
 * files read model (attachableFiles.ts).
 */
export function checkFileIds(fileIds: readonly string[] | null | undefined): string[] {
  if (fileIds === null || fileIds === undefined) return [];
  if (fileIds.length > LIMITS.fileIds)
    throw codedError('BAD_USER_INPUT', `fileIds must have at most ${LIMITS.fileIds} entries`, { field: 'fileIds' });
  for (const id of fileIds) {
    if (id.trim().length === 0 || id.length > LIMITS.fileIdLength)
      throw codedError('BAD_USER_INPUT', `each of fileIds must be a non-empty id of at most ${LIMITS.fileIdLength} characters`, {
        field: 'fileIds',
      });
  }
  if (new Set(fileIds).size !== fileIds.length)
    throw codedError('BAD_USER_INPUT', 'fileIds must not contain duplicates', { field: 'fileIds' });
  return [...fileIds];
}

/** A system prompt, if given: at most 32,000 characters. */
export function checkSystemPrompt(prompt: string | null | undefined): string | null {
  if (prompt === null || prompt === undefined || prompt.trim().length === 0) return null;
  if (prompt.length > LIMITS.systemPromptLength)
    throw codedError('BAD_USER_INPUT', `systemPrompt must have at most ${LIMITS.systemPromptLength} characters`, { field: 'systemPrompt' });
  return prompt;
}

/** The first words of a message, as the title of the conversation it starts. */
export function titleFromContent(content: string): string {
  const words = content.trim().split(/\s+/).slice(0, 8).join(' ');
  return words.length > 60 ? `${words.slice(0, 59)}…` : words || 'New conversation';
}
