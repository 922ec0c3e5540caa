import { byKeys, codedError, type LoaderRegistry, type Principal } from '@chatgraph/kit';
import { paginate, type Connection, type PageRequest } from '@chatgraph/kit/store';
import { notDeleted } from '@chatgraph/kit/events';
import { BranchPaging } from './branchPaging';
import { MessageTree } from './messageTree';
import type { ConversationCollections, ConversationDoc, MessageDoc } from './store';

/** Whether `principal` may see `doc`: it exists, is not a tombstone and is theirs. */
export function visibleTo<T extends { ownerId: string; _deleted?: boolean }>(doc: T | null | undefined, principal: Principal): doc is T {
  return Boolean(doc && !doc._deleted && principal.kind === 'user' && doc.ownerId === principal.userId);
}

/** A page of `User.conversations` (codegen mapper: `totalCount` is counted only when selected). */
export type ConversationPage = Connection<ConversationDoc>;
/** A page of `Conversation.messages` or `Conversation.branch`. */
export type MessagePage = Connection<MessageDoc>;

/** The filters of `User.conversations`. */
export interface ConversationFilter {
  archived?: boolean | null;
  pinned?: boolean | null;
  tag?: string | null;
}

/**
 * Everything conversation returns to readers, through per-request DataLoaders so a page of
 * conversations with their last messages and branches costs a bounded number of store queries.
 * Ownership is checked on every document read here; an id alone never grants access.
 */
export class ConversationReads {
  private readonly branchPaging: BranchPaging;

  constructor(private readonly collections: ConversationCollections) {
    this.branchPaging = new BranchPaging(collections);
  }

  private conversationLoader(loaders: LoaderRegistry) {
    return loaders.get<string, ConversationDoc | null>('conversation.byId', async (ids) =>
      byKeys(ids, await this.collections.conversations.findByIds(ids), (d) => d._id),
    );
  }

  private messageLoader(loaders: LoaderRegistry) {
    return loaders.get<string, MessageDoc | null>('message.byId', async (ids) =>
      byKeys(ids, await this.collections.messages.findByIds(ids), (d) => d._id),
    );
  }

  /** Every live message of each conversation in one query, indexed as a tree. */
  private treeLoader(loaders: LoaderRegistry) {
    return loaders.get<string, MessageTree>('message.tree', async (ids) => {
      const rows = await this.collections.messages.find({ conversationId: { $in: [...ids] }, ...notDeleted });
      return ids.map((id) => new MessageTree(rows.filter((m) => m.conversationId === id)));
    });
  }

  /** The conversation if the caller owns it, else null (whether it exists is not revealed). */
  async conversation(principal: Principal, id: string, loaders: LoaderRegistry): Promise<ConversationDoc | null> {
    const doc = await this.conversationLoader(loaders).load(id);
    return visibleTo(doc, principal) ? doc : null;
  }

  /** The message if the caller owns it, else null. */
  async message(principal: Principal, id: string, loaders: LoaderRegistry): Promise<MessageDoc | null> {
    const doc = await this.messageLoader(loaders).load(id);
    return visibleTo(doc, principal) ? doc : null;
  }

  /** `User.conversations`: only the user themself may list them. */
  conversationsOf(
    principal: Principal,
    userId: string,
    page: PageRequest,
    filter: ConversationFilter | null | undefined,
  ): Promise<Connection<ConversationDoc>> {
    if (principal.kind !== 'user') throw codedError('UNAUTHENTICATED', 'You must be signed in');
    if (principal.userId !== userId) throw codedError('FORBIDDEN', 'Only the user themself may list their conversations');
    const query: Record<string, unknown> = { ownerId: userId, ...notDeleted };
    if (typeof filter?.archived === 'boolean') query.archived = filter.archived;
    if (typeof filter?.pinned === 'boolean') query.pinned = filter.pinned;
    if (filter?.tag) query.tags = filter.tag;
    return paginate(this.collections.conversations, query, page, {
      sortField: 'lastActivityAt',
      direction: -1,
      defaultSize: 20,
      maxSize: 100,
    });
  }

  /** A visible conversation's messages, all branches, oldest first. */
  messagesOf(conversation: ConversationDoc, page: PageRequest): Promise<Connection<MessageDoc>> {
    return paginate(this.collections.messages, { conversationId: conversation._id, ...notDeleted }, page, {
      sortField: 'createdAt',
      direction: 1,
      defaultSize: 50,
      maxSize: 200,
    });
  }

  /** A visible conversation's active path as a connection, newest page by default (branchPaging.ts). */
  branchOf(conversation: ConversationDoc, page: PageRequest): Promise<Connection<MessageDoc>> {
    return this.branchPaging.page(conversation, page);
  }

  /**
   * Root -> active leaf. If the recorded leaf is missing (a send that stopped between its writes),
   * the newest message's path stands in rather than an empty branch.
   */
  async currentBranch(conversation: ConversationDoc, loaders: LoaderRegistry): Promise<MessageDoc[]> {
    const tree = await this.treeLoader(loaders).load(conversation._id);
    const leaf = (conversation.activeLeafId ? tree.get(conversation.activeLeafId) : undefined) ?? tree.newest();
    return leaf ? tree.pathTo(leaf._id) : [];
  }

  async lastMessage(principal: Principal, conversation: ConversationDoc, loaders: LoaderRegistry): Promise<MessageDoc | null> {
    return conversation.lastMessageId ? this.message(principal, conversation.lastMessageId, loaders) : null;
  }

  async children(message: MessageDoc, loaders: LoaderRegistry): Promise<MessageDoc[]> {
    return (await this.treeLoader(loaders).load(message.conversationId)).children(message._id);
  }

  /** Position among the messages sharing the parent (oldest first) and how many there are. */
  async siblingPosition(message: MessageDoc, loaders: LoaderRegistry): Promise<{ index: number; count: number }> {
    const siblings = (await this.treeLoader(loaders).load(message.conversationId)).siblings(message);
    return {
      index: Math.max(
        0,
        siblings.findIndex((m) => m._id === message._id),
      ),
      count: Math.max(1, siblings.length),
    };
  }

  /** The conversation of a message the caller can see (its owner is the message's owner). */
  async conversationOf(principal: Principal, message: MessageDoc, loaders: LoaderRegistry): Promise<ConversationDoc> {
    const conversation = await this.conversation(principal, message.conversationId, loaders);
    if (!conversation) throw codedError('NOT_FOUND', 'Conversation not found');
    return conversation;
  }
}
