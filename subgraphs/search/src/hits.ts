import type { SearchHit } from '@chatgraph/kit/search';

/** A `Message` as search returns it: its id only; the router fetches the rest from conversation. */
export interface MessageRef {
  __typename: 'Message';
  id: string;
}

/** A `Conversation` as search returns it: its id only; the router fetches the rest from conversation. */
export interface ConversationRef {
  __typename: 'Conversation';
  id: string;
}

/** A `File` as search returns it: its id only; the router fetches the rest from the file subgraph. */
export interface FileRef {
  __typename: 'File';
  id: string;
}

/** A `SearchHit` as resolvers return it: the port's hit. */
export type SearchHitView = SearchHit;

/** The GraphQL kind of a stored document kind (`message` -> `MESSAGE`). */
export function kindOf(hit: SearchHitView): 'MESSAGE' | 'CONVERSATION' | 'FILE' {
  return hit.kind.toUpperCase() as 'MESSAGE' | 'CONVERSATION' | 'FILE';
}

/** The message of a MESSAGE hit, as a reference. */
export function messageOf(hit: SearchHitView): MessageRef | null {
  return hit.kind === 'message' ? { __typename: 'Message', id: hit.id } : null;
}

/** The conversation of a CONVERSATION hit, as a reference. */
export function conversationOf(hit: SearchHitView): ConversationRef | null {
  return hit.kind === 'conversation' ? { __typename: 'Conversation', id: hit.id } : null;
}

/** The file of a FILE hit (one of its chunks), as a reference. */
export function fileOf(hit: SearchHitView): FileRef | null {
  const fileId = hit.doc.keywords?.fileId;
  return hit.kind === 'file' && typeof fileId === 'string' ? { __typename: 'File', id: fileId } : null;
}
