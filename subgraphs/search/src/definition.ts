import type { SearchIndexDefinition } from '@chatgraph/kit/search';

/** The kinds of documents in the index, as stored (`kind`); the GraphQL enum is their upper case. */
export const DOC_KINDS = { message: 'message', conversation: 'conversation', file: 'file' } as const;

/**
 * The index search keeps (on Elasticsearch one per kind, `<name>-message`, `<name>-conversation`,
 * `<name>-file`, each behind its alias; on the embedded engine one, the kind a field): messages' final text, conversations' titles and tags (their words
 * weigh twice a message's; the tags also as exact keywords, for `filter.tags`) and files' chunks (in `content`, like messages), each with its
 * embedding (`vectorDims` of the embedder), with their conversation, role, file and embedding
 * model as exact-match fields.
 */
export function searchIndexDefinition(name: string, vectorDims: number): SearchIndexDefinition {
  return {
    name,
    textFields: { content: 1, title: 2, tags: 2 },
    keywordFields: ['conversationId', 'role', 'fileId', 'embeddingModel', 'tags'],
    vectorDims,
    kinds: Object.values(DOC_KINDS),
  };
}
