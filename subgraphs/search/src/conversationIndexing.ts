import type { Logger } from '@chatgraph/kit';
import type { KeywordValues, SearchDocument, SearchIndex } from '@chatgraph/kit/search';
import { conversationConversationV1 } from '@chatgraph/schema';
import { DOC_KINDS } from './definition';
import { embedForIndexing, PENDING_EMBEDDING } from './embedForIndexing';
import type { Embedder, Embeddings } from './embedding';

/** The conversation's fields the index keeps; each event carries some of them. */
interface ConversationChange {
  title?: string;
  tags?: readonly string[];
}

/** A new title's embedding: its vector (none for a title with nothing to embed) and the model, or `(pending)`. */
interface TitleEmbedding {
  model: string;
  vector: number[] | null;
}

/**
 * The conversation document after `change`: the title (words and embedding) and the tags (as
 * exact keywords for `filter.tags`, and as words, so a search for a tag finds the conversation).
 * Fields the change does not name keep their indexed values.
 */
function merged(
  current: SearchDocument | undefined,
  subject: { conversationId: string; ownerId: string },
  change: ConversationChange,
  /** The new title's embedding (when the change names a title). */
  embedding: TitleEmbedding | undefined,
  occurredAt: Date,
): SearchDocument {
  const text = { ...(current?.text ?? {}) };
  const keywords: KeywordValues = { ...(current?.keywords ?? {}), conversationId: subject.conversationId };
  let vector = current?.vector;
  if (change.title !== undefined) {
    text.title = change.title;
    vector = embedding?.vector ?? undefined;
    keywords.embeddingModel = embedding?.model ?? PENDING_EMBEDDING;
  }
  if (change.tags !== undefined && change.tags.length > 0) {
    keywords.tags = [...change.tags];
    text.tags = change.tags.join(' ');
  } else if (change.tags !== undefined) {
    delete keywords.tags;
    delete text.tags;
  }
  return {
    id: subject.conversationId,
    ownerId: subject.ownerId,
    kind: DOC_KINDS.conversation,
    text,
    keywords,
    ...(vector ? { vector } : {}),
    createdAt: current?.createdAt ?? occurredAt,
    updatedAt: occurredAt,
  };
}

/**
 * Applies conversation's `conversation.*` events to the conversation's document:
 * - `conversation.created` writes it (title, no tags);
 * - `conversation.updated` changes the title and/or the tags it names (pins and archives leave it
 *   as it is): the document is read, changed and written back. One conversation's events share a
 *   key and are applied in order, so no other write of this document can come in between;
 * - `conversation.deleted` removes it (its messages leave with their own `message.deleted`).
 * Messages do not carry the tags: `filter.tags` is resolved to the tagged conversations at query
 * time (service.ts), so a tag change is one write however long the conversation, and a message
 * indexed before or after the tag change (another topic, no order between them) is never stale.
 */
export async function applyConversationEvent(
  deps: { index: SearchIndex; embedder: Embedder; logger: Logger },
  raw: unknown,
): Promise<void> {
  const { index } = deps;
  const event = conversationConversationV1.validate(raw);
  const { conversationId, ownerId } = event.subject;
  if (event.type === 'conversation.deleted') {
    await index.delete([conversationId]);
    return;
  }
  const change: ConversationChange = {};
  // A blank title has nothing to find; the document keeps its previous one.
  if (event.payload.title !== undefined && event.payload.title.trim() !== '') change.title = event.payload.title;
  if (event.type === 'conversation.created') change.tags = [];
  else if (event.payload.tags !== undefined) change.tags = event.payload.tags;
  if (change.title === undefined && change.tags === undefined) return;
  // Embedded as messages are (embedForIndexing.ts): ai-gateway down, the title is indexed by its
  // words and marked `(pending)` for the re-embedding pass; a tag-only change embeds nothing.
  const embedding = change.title === undefined ? undefined : titleEmbedding(await embedForIndexing(deps, [change.title]));
  const current = event.type === 'conversation.created' ? undefined : (await index.get(ownerId, [conversationId]))[0];
  await index.upsert([merged(current, event.subject, change, embedding, new Date(event.occurredAt))]);
}

function titleEmbedding({ model, vectors: [vector] }: Embeddings): TitleEmbedding {
  return { model, vector: vector ?? null };
}
