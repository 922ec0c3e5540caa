import { codedError, newId, type UserPrincipal } from '@chatgraph/kit';
import { deleteWithOutbox, insertWithOutbox, notDeleted, updateWithOutbox, type OutboxHint } from '@chatgraph/kit/events';
import { checkSystemPrompt, checkTags, checkTitle } from './limits';
import { knownModel, type ModelCatalogView } from './modelCatalog';
import { conversationCreated, conversationDeleted, conversationUpdated, messageDeleted } from './outboxEvents';
import { visibleTo } from './reads';
import type { AssistantDoc, Assistants } from './assistants';
import type { ConversationCollections, ConversationDoc, MessageDoc, TitleSource } from './store';

/** `createConversation`'s input. */
export interface CreateConversationInput {
  title?: string | null;
  model?: string | null;
  assistantId?: string | null;
  systemPrompt?: string | null;
}

/** `updateConversation`'s input; null or absent fields are left as they are. */
export interface UpdateConversationInput {
  title?: string | null;
  pinned?: boolean | null;
  archived?: boolean | null;
  tags?: readonly string[] | null;
  /** A chat model of the catalog. */
  model?: string | null;
  /** An empty string removes it. */
  systemPrompt?: string | null;
}

/** What `deleteConversation` removed (`DeleteConversationPayload`). */
export interface DeletedConversation {
  deletedConversationId: string;
  deletedMessageCount: number;
  ownerId: string;
}

/** What every write path needs: the collections, the clock and the relay's wake-up. */
export interface Writes {
  collections: ConversationCollections;
  now: () => Date;
  /**
   * Called after a write that queued events, so the relay publishes them now rather than at its
   * next poll: naming the documents written (looked up by key), or none (a scan).
   */
  eventsQueued: (...written: OutboxHint[]) => void;
  /** The model catalog read model (modelCatalog.ts); without it any model name passes its length check. */
  models?: ModelCatalogView;
  /** The assistants read model (assistants.ts); without it no assistant can be used. */
  assistants?: Assistants;
}

/**
 * The assistant a new conversation is started with, when `user` may use it; BAD_USER_INPUT
 * `field: 'assistantId'` otherwise (the same answer for an unknown id, so existence never leaks).
 */
export async function usableAssistant(w: Writes, user: UserPrincipal, assistantId: string): Promise<AssistantDoc> {
  if (!w.assistants) throw codedError('BAD_USER_INPUT', `assistant '${assistantId}' is unknown`, { field: 'assistantId' });
  return w.assistants.forNewThread(user, assistantId);
}

/** A conversation of `user`, read from the store (not a request cache); NOT_FOUND when missing or someone else's. */
export async function ownedConversation(collections: ConversationCollections, user: UserPrincipal, id: string): Promise<ConversationDoc> {
  const doc = await collections.conversations.findById(id);
  if (!visibleTo(doc, user)) throw codedError('NOT_FOUND', 'Conversation not found', { field: 'id' });
  return doc;
}

/** A message of `user`, read from the store; NOT_FOUND when missing or someone else's. */
export async function ownedMessage(collections: ConversationCollections, user: UserPrincipal, id: string): Promise<MessageDoc> {
  const doc = await collections.messages.findById(id);
  if (!visibleTo(doc, user)) throw codedError('NOT_FOUND', 'Message not found', { field: 'messageId' });
  return doc;
}

/** A new, empty conversation document (not yet written). */
export function newConversationDoc(
  user: UserPrincipal,
  fields: { title: string; titleSource: TitleSource; model?: string; assistantId?: string | null; systemPrompt?: string | null },
  now: Date,
): ConversationDoc {
  return {
    _id: newId(),
    ownerId: user.userId,
    title: fields.title,
    titleSource: fields.titleSource,
    pinned: false,
    archived: false,
    tags: [],
    model: fields.model ?? null,
    assistantId: fields.assistantId ?? null,
    systemPrompt: fields.systemPrompt ?? null,
    activeLeafId: null,
    lastMessageId: null,
    createdAt: now,
    updatedAt: now,
    lastActivityAt: now,
  };
}

/** Creating, changing and deleting conversations; each write carries its events (outbox). */
export class ConversationCommands {
  constructor(private readonly w: Writes) {}

  async create(user: UserPrincipal, input: CreateConversationInput | null | undefined): Promise<ConversationDoc> {
    const given = input?.title !== null && input?.title !== undefined;
    const title = given ? checkTitle(input.title as string) : 'New conversation';
    const doc = newConversationDoc(
      user,
      {
        title,
        titleSource: given ? 'user' : 'auto',
        model: await knownModel(this.w.models, input?.model),
        assistantId: input?.assistantId ? (await usableAssistant(this.w, user, input.assistantId))._id : null,
        systemPrompt: checkSystemPrompt(input?.systemPrompt),
      },
      this.w.now(),
    );
    const stored = await this.w.collections.conversations.insertOne(insertWithOutbox(doc, [conversationCreated(doc)]));
    this.w.eventsQueued({ collection: this.w.collections.conversations.name, id: stored._id });
    return stored;
  }

  /**
   * Changes only the fields given (null means "leave as is"); a change with no effect writes
   * nothing. `conversation.updated` carries the listed fields (title, flags, tags); a change of
   * only the model or system prompt, which no other service reads, publishes no event.
   */
  async update(user: UserPrincipal, id: string, input: UpdateConversationInput): Promise<ConversationDoc> {
    const changes: { title?: string; pinned?: boolean; archived?: boolean; tags?: string[] } = {};
    const settings: { model?: string; systemPrompt?: string | null } = {};
    if (input.model !== null && input.model !== undefined) settings.model = await knownModel(this.w.models, input.model);
    if (input.systemPrompt !== null && input.systemPrompt !== undefined) settings.systemPrompt = checkSystemPrompt(input.systemPrompt);
    // A title the user sets is never replaced by a generated one.
    const titleSource: { titleSource?: TitleSource } = {};
    if (input.title !== null && input.title !== undefined) {
      changes.title = checkTitle(input.title);
      titleSource.titleSource = 'user';
    }
    if (input.tags !== null && input.tags !== undefined) changes.tags = checkTags(input.tags);
    if (typeof input.pinned === 'boolean') changes.pinned = input.pinned;
    if (typeof input.archived === 'boolean') changes.archived = input.archived;
    const current = await ownedConversation(this.w.collections, user, id);
    if (Object.keys(changes).length === 0 && Object.keys(settings).length === 0) return current;
    const $set = { ...changes, ...settings, ...titleSource, updatedAt: this.w.now() };
    const update = Object.keys(changes).length > 0 ? updateWithOutbox({ $set }, [conversationUpdated(current, changes)]) : { $set };
    const updated = await this.w.collections.conversations.findOneAndUpdate({ _id: id, ownerId: user.userId, ...notDeleted }, update, {
      returnDocument: 'after',
    });
    if (!updated) throw codedError('NOT_FOUND', 'Conversation not found', { field: 'id' });
    this.w.eventsQueued({ collection: this.w.collections.conversations.name, id });
    return updated;
  }

  /**
   * Tombstones every message (each with its `message.deleted`), then the conversation. Messages
   * go first: should this stop half-way, the conversation is still there and deleting it again
   * finishes the job, while readers already no longer see the deleted messages.
   */
  async delete(user: UserPrincipal, id: string): Promise<DeletedConversation> {
    const conversation = await ownedConversation(this.w.collections, user, id);
    const messages = await this.w.collections.messages.find({ conversationId: id, ...notDeleted });
    for (const message of messages) {
      await this.w.collections.messages.updateOne({ _id: message._id, ...notDeleted }, deleteWithOutbox([messageDeleted(message)]));
    }
    await this.w.collections.conversations.updateOne(
      { _id: id, ...notDeleted },
      deleteWithOutbox([conversationDeleted(conversation, messages.length)], { $set: { updatedAt: this.w.now() } }),
    );
    this.w.eventsQueued();
    return { deletedConversationId: id, deletedMessageCount: messages.length, ownerId: conversation.ownerId };
  }
}
