import type { SearchIndexDefinition } from '@chatgraph/kit/search';

/** The kinds of documents in the index, as stored (`kind`); the GraphQL enum is their upper case. */
export const DOC_KINDS = { message: 'message', conversation: 'conversation', file: 'file' } as const;

/**
 * The one index search keeps: messages' final text, conversations' titles (a title weighs
 * twice a message's words) and files' chunks (in `content`, like messages), each with its
 * embedding (`vectorDims` of the embedder), with their conversation, role, file and embedding
 * model as exact-match fields.
 */
export function searchIndexDefinition(name: string, vectorDims: number): SearchIndexDefinition {
  return { name, textFields: { content: 1, title: 2 }, keywordFields: ['conversationId', 'role', 'fileId', 'embeddingModel'], vectorDims };
}
