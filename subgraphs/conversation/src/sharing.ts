import { codedError, newId, type UserPrincipal } from '@chatgraph/kit';
import { insertWithOutbox, notDeleted, outboxEvent, updateWithOutbox, type OutboxEvent } from '@chatgraph/kit/events';
import { conversationShareV1 } from '@chatgraph/schema';
import { newConversationDoc, ownedConversation, ownedMessage, type Writes } from './conversations';
import { LIMITS } from './limits';
import { MessageTree } from './messageTree';
import { conversationCreated, messageCreated, messageRated } from './outboxEvents';
import type { ConversationDoc, MessageDoc, Rating, ShareDoc, SharedMessageDoc } from './store';

/** The longest feedback comment. */
export const MAX_FEEDBACK_COMMENT = 2_000;

const RUNNING = new Set(['PENDING', 'STREAMING']);

/** What `revokeShare` ended (`RevokeSharePayload`). */
export interface RevokedShare {
  shareId: string;
  revoked: boolean;
  conversationId: string;
}

/** One message of a share as the graph shows it: its place in the snapshot names it (`SharedMessage.id`). */
export interface SharedMessageView extends SharedMessageDoc {
  shareId: string;
  index: number;
}

/** A share's messages with their share id and position (`SharedConversation.messages`). */
export function sharedMessages(share: ShareDoc): SharedMessageView[] {
  return share.messages.map((m, index) => ({ ...m, shareId: share._id, index }));
}

const shareSubject = (share: ShareDoc) => ({ conversationId: share.conversationId, shareId: share._id, ownerId: share.ownerId });

/** `share.created`: the files of the snapshot's messages, each once, in order. */
function shareCreated(share: ShareDoc): OutboxEvent {
  const fileIds = [...new Set(share.messages.flatMap((m) => m.fileIds ?? []))];
  const event = conversationShareV1.create('share.created', shareSubject(share), { fileIds });
  return outboxEvent(conversationShareV1.topic, share.conversationId, event);
}

function shareRevoked(share: ShareDoc): OutboxEvent {
  const event = conversationShareV1.create('share.revoked', shareSubject(share), { reason: 'revoked' });
  return outboxEvent(conversationShareV1.topic, share.conversationId, event);
}

/** Forking, read-only shares and feedback: everything that copies or annotates existing messages. */
export class SharingCommands {
  constructor(private readonly w: Writes) {}

  /**
   * A new conversation holding copies of the path root -> `messageId`. The conversation is written
   * first and its messages after, each with its `message.created`; a crash in between leaves a
   * conversation whose leaf is missing, which readers show as its newest message. Answers still
   * being generated are copied as ABORTED: their result will complete the original, not the copy.
   */
  async fork(user: UserPrincipal, messageId: string): Promise<ConversationDoc> {
    const target = await ownedMessage(this.w.collections, user, messageId);
    const source = await ownedConversation(this.w.collections, user, target.conversationId);
    const tree = new MessageTree(await this.w.collections.messages.find({ conversationId: source._id, ...notDeleted }));
    const path = tree.pathTo(target._id);
    const now = this.w.now();
    const title = `${source.title.slice(0, LIMITS.titleLength - 7)} (fork)`;
    const fork = newConversationDoc(
      user,
      { title, titleSource: 'user', model: source.model ?? undefined, assistantId: source.assistantId, systemPrompt: source.systemPrompt },
      now,
    );
    const ids = new Map(path.map((m) => [m._id, newId()]));
    const copies: MessageDoc[] = path.map((m) => ({
      _id: ids.get(m._id) ?? newId(),
      conversationId: fork._id,
      ownerId: user.userId,
      parentId: m.parentId ? (ids.get(m.parentId) ?? null) : null,
      role: m.role,
      content: m.content,
      fileIds: [...(m.fileIds ?? [])],
      status: RUNNING.has(m.status) ? 'ABORTED' : m.status,
      streamId: null,
      model: m.model,
      tokenCount: m.tokenCount,
      finishReason: RUNNING.has(m.status) ? 'aborted' : m.finishReason,
      feedback: null,
      depth: m.depth,
      createdAt: m.createdAt,
      updatedAt: now,
    }));
    const leaf = copies[copies.length - 1]?._id ?? null;
    const doc = { ...fork, activeLeafId: leaf, lastMessageId: leaf };
    const stored = await this.w.collections.conversations.insertOne(insertWithOutbox(doc, [conversationCreated(doc)]));
    if (copies.length > 0) await this.w.collections.messages.insertMany(copies.map((m) => insertWithOutbox(m, [messageCreated(m)])));
    this.w.eventsQueued();
    return stored;
  }

  /** Snapshots the active branch: what the link shows never changes afterwards. */
  async share(user: UserPrincipal, conversationId: string): Promise<ShareDoc> {
    const conversation = await ownedConversation(this.w.collections, user, conversationId);
    const tree = new MessageTree(await this.w.collections.messages.find({ conversationId, ...notDeleted }));
    const leaf = (conversation.activeLeafId ? tree.get(conversation.activeLeafId) : undefined) ?? tree.newest();
    const messages = (leaf ? tree.pathTo(leaf._id) : []).map((m) => ({
      role: m.role,
      content: m.content,
      model: m.model,
      fileIds: [...(m.fileIds ?? [])],
      createdAt: m.createdAt,
    }));
    const share: ShareDoc = {
      _id: newId(),
      conversationId,
      ownerId: user.userId,
      title: conversation.title,
      messages,
      createdAt: this.w.now(),
      revokedAt: null,
    };
    // The share and its `share.created` (file's read model: the snapshot's files) in one write.
    const stored = await this.w.collections.shares.insertOne(insertWithOutbox(share, [shareCreated(share)]));
    this.w.eventsQueued({ collection: this.w.collections.shares.name, id: share._id });
    return stored;
  }

  /** Ends a share of the caller's; NOT_FOUND for someone else's or an unknown one. */
  async revoke(user: UserPrincipal, shareId: string): Promise<RevokedShare> {
    const share = await this.w.collections.shares.findById(shareId);
    if (!share || share.ownerId !== user.userId) throw codedError('NOT_FOUND', 'Share not found', { field: 'shareId' });
    const result = await this.w.collections.shares.updateOne(
      { _id: shareId, revokedAt: null },
      updateWithOutbox({ $set: { revokedAt: this.w.now() } }, [shareRevoked(share)]),
    );
    if (result.modifiedCount > 0) this.w.eventsQueued({ collection: this.w.collections.shares.name, id: shareId });
    return { shareId, revoked: result.modifiedCount > 0, conversationId: share.conversationId };
  }

  /** A share anyone may read, or null once revoked. */
  async shared(shareId: string): Promise<ShareDoc | null> {
    const share = await this.w.collections.shares.findById(shareId);
    return share && !share.revokedAt ? share : null;
  }

  /** Rates an assistant message of the caller's, replacing an earlier rating. */
  async setFeedback(user: UserPrincipal, messageId: string, rating: Rating, comment: string | null | undefined): Promise<MessageDoc> {
    const text = comment?.trim() ? comment.trim() : null;
    if (text && text.length > MAX_FEEDBACK_COMMENT)
      throw codedError('BAD_USER_INPUT', `comment must have at most ${MAX_FEEDBACK_COMMENT} characters`, { field: 'comment' });
    const message = await ownedMessage(this.w.collections, user, messageId);
    if (message.role !== 'ASSISTANT') throw codedError('BAD_USER_INPUT', 'Only assistant messages can be rated', { field: 'messageId' });
    const feedback = { rating, comment: text, updatedAt: this.w.now() };
    const update = updateWithOutbox({ $set: { feedback } }, [messageRated({ ...message, feedback })]);
    const updated = await this.w.collections.messages.findOneAndUpdate({ _id: messageId, ownerId: user.userId, ...notDeleted }, update, {
      returnDocument: 'after',
    });
    if (!updated) throw codedError('NOT_FOUND', 'Message not found', { field: 'messageId' });
    this.w.eventsQueued({ collection: this.w.collections.messages.name, id: messageId });
    return updated;
  }
}
