import { codedError, newId, type UserPrincipal } from '@chatgraph/kit';
import { insertWithOutbox, notDeleted, updateWithOutbox } from '@chatgraph/kit/events';
import { newConversationDoc, ownedConversation, ownedMessage, type Writes } from './conversations';
import { LIMITS } from './limits';
import { MessageTree } from './messageTree';
import { conversationCreated, messageCreated, messageRated } from './outboxEvents';
import type { ConversationDoc, MessageDoc, Rating, ShareDoc } from './store';

/** The longest feedback comment. */
export const MAX_FEEDBACK_COMMENT = 2_000;

const RUNNING = new Set(['PENDING', 'STREAMING']);

/** Forking, read-only shares and feedback: everything that copies or annotates existing messages. */
/** What `revokeShare` ended (`RevokeSharePayload`). */
export interface RevokedShare {
  shareId: string;
  revoked: boolean;
  conversationId: string;
}

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
    return this.w.collections.shares.insertOne(share);
  }

  /** Ends a share of the caller's; NOT_FOUND for someone else's or an unknown one. */
  async revoke(user: UserPrincipal, shareId: string): Promise<RevokedShare> {
    const share = await this.w.collections.shares.findById(shareId);
    if (!share || share.ownerId !== user.userId) throw codedError('NOT_FOUND', 'Share not found', { field: 'shareId' });
    const result = await this.w.collections.shares.updateOne({ _id: shareId, revokedAt: null }, { $set: { revokedAt: this.w.now() } });
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
