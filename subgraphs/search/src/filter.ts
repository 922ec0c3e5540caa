import { codedError } from '@chatgraph/kit';
import type { SearchFilters, SearchIndex } from '@chatgraph/kit/search';
import { DOC_KINDS } from './definition';

/** The most conversations one filter may name. */
export const MAX_FILTER_CONVERSATIONS = 100;
/** The most files one filter may name. */
export const MAX_FILTER_FILES = 100;
/** The most tags one filter may name (a conversation has at most 20). */
export const MAX_FILTER_TAGS = 20;
/** The most conversations `filter.tags` may resolve to; more is refused rather than cut. */
export const MAX_TAGGED_CONVERSATIONS = 10_000;

/** `SearchFilter` as GraphQL gives it. */
export interface SearchFilterArg {
  conversationIds?: readonly string[] | null;
  roles?: readonly ('USER' | 'ASSISTANT' | 'SYSTEM')[] | null;
  from?: Date | string | null;
  to?: Date | string | null;
  fileIds?: readonly string[] | null;
  tags?: readonly string[] | null;
}

function bounded(values: readonly string[] | null | undefined, max: number, field: string, what: string): string[] {
  const list = values ?? [];
  if (list.length > max) throw codedError('BAD_USER_INPUT', `filter names more than ${max} ${what}`, { field, max, actual: list.length });
  return [...list];
}

/** The filter as the port takes it, besides the kind and the tags; refuses what cannot match anything sensible. */
export function engineFilters(filter: SearchFilterArg | null | undefined): SearchFilters {
  const keywords: Record<string, string[]> = {};
  const ids = bounded(filter?.conversationIds, MAX_FILTER_CONVERSATIONS, 'filter.conversationIds', 'conversations');
  if (ids.length > 0) keywords.conversationId = ids;
  const fileIds = bounded(filter?.fileIds, MAX_FILTER_FILES, 'filter.fileIds', 'files');
  if (fileIds.length > 0) keywords.fileId = fileIds;
  if (filter?.roles && filter.roles.length > 0) keywords.role = [...filter.roles];
  const from = filter?.from ? new Date(filter.from) : undefined;
  const to = filter?.to ? new Date(filter.to) : undefined;
  if (from && to && to.getTime() <= from.getTime()) throw codedError('BAD_USER_INPUT', '`to` must be after `from`', { field: 'filter.to' });
  return { keywords, ...(from || to ? { createdAt: { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) } } : {}) };
}

/**
 * Narrows `filters` to the owner's conversations carrying any of `filter.tags`. The tags live on
 * the conversation documents only, so they are joined here: one owner-filtered engine query
 * finds the tagged conversations, and the search itself is then filtered by their ids (its own
 * owner filter unchanged) — messages and conversations of those conversations match, files (no
 * conversation) do not, as with `conversationIds`. Returns null when nothing can match.
 */
export async function withTags(
  index: SearchIndex,
  ownerId: string,
  filters: SearchFilters,
  tags: readonly string[] | null | undefined,
): Promise<SearchFilters | null> {
  const wanted = bounded(tags, MAX_FILTER_TAGS, 'filter.tags', 'tags');
  if (wanted.length === 0) return filters;
  const tagged = await index.matchingIds(
    ownerId,
    { kinds: [DOC_KINDS.conversation], keywords: { tags: wanted } },
    MAX_TAGGED_CONVERSATIONS,
  );
  if (!tagged.complete)
    throw codedError('BAD_USER_INPUT', `filter.tags matches more than ${MAX_TAGGED_CONVERSATIONS} conversations; name conversations too`, {
      field: 'filter.tags',
      max: MAX_TAGGED_CONVERSATIONS,
    });
  const named = filters.keywords?.conversationId;
  const ids = named === undefined ? tagged.ids : tagged.ids.filter((id) => (Array.isArray(named) ? named : [named]).includes(id));
  if (ids.length === 0) return null;
  return { ...filters, keywords: { ...filters.keywords, conversationId: ids } };
}
