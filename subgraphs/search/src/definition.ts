import type { SearchIndexDefinition } from '@chatgraph/kit/search';

/** The kinds of documents in the index, as stored (`kind`); the GraphQL enum is their upper case. */
export const DOC_KINDS = { message: 'message' } as const;

/**
 * The one index search keeps: messages' final text, with their conversation as an exact-match
 * field so that a deleted conversation's messages can be found and removed. No vectors yet
 * (SEMANTIC and HYBRID are not served).
 */
export function searchIndexDefinition(name: string): SearchIndexDefinition {
  return { name, textFields: { content: 1 }, keywordFields: ['conversationId', 'role'] };
}
