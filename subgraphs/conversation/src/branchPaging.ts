import { codedError } from '@chatgraph/kit';
import { decodeCursor, encodeCursor, pageSize, type Connection, type PageRequest } from '@chatgraph/kit/store';
import { notDeleted } from '@chatgraph/kit/events';
import { MessageTree } from './messageTree';
import type { ConversationCollections, ConversationDoc, MessageDoc } from './store';

/** A page of the active branch by default: the newest 50, which is what a chat view shows first. */
export const BRANCH_DEFAULT_SIZE = 50;
/** The largest page of `Conversation.branch`. */
export const BRANCH_MAX_SIZE = 200;

const cursorOf = (m: MessageDoc): string => encodeCursor(m.depth, m._id);

/**
 * `Conversation.branch`: the active path (root -> active leaf) as a connection. Paging backward
 * (`last`/`before`, the default) never reads the whole tree: every message stores its `depth`,
 * so the `size` ancestors of a message are among the messages at the `size` depths above it,
 * which one indexed query returns; the parent pointers then pick the path out of them. A
 * `before` cursor names a message and the page is its ancestors, so "older" keeps working after
 * the active branch changes. Paging forward (`first`/`after`) needs the whole path and reads the
 * tree once.
 */
export class BranchPaging {
  constructor(private readonly collections: ConversationCollections) {}

  async page(conversation: ConversationDoc, page: PageRequest): Promise<Connection<MessageDoc>> {
    const { size, fromEnd } = pageSize(page, BRANCH_DEFAULT_SIZE, BRANCH_MAX_SIZE, true);
    const leaf = await this.activeLeaf(conversation);
    const totalCount = async (): Promise<number> => (leaf ? leaf.depth + 1 : 0);
    if (!fromEnd || page.after) return this.forward(conversation, leaf, page, size, fromEnd, totalCount);
    const start = page.before ? await this.cursorMessage(conversation, page.before, 'before') : leaf;
    // `before` excludes the cursor's message: the page starts at its parent.
    const top = start && page.before ? (start.parentId ? await this.liveMessage(start.parentId) : null) : start;
    const path = top ? await this.ancestors(conversation, top, size + 1) : [];
    const more = path.length > size;
    const nodes = path.slice(0, size).reverse();
    const edges = nodes.map((node) => ({ cursor: cursorOf(node), node }));
    return {
      edges,
      pageInfo: {
        hasNextPage: Boolean(page.before),
        hasPreviousPage: more,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
      totalCount,
    };
  }

  /** The recorded active leaf, or the newest message when it is missing (as `currentBranch`). */
  private async activeLeaf(conversation: ConversationDoc): Promise<MessageDoc | null> {
    const recorded = conversation.activeLeafId ? await this.liveMessage(conversation.activeLeafId) : null;
    if (recorded && recorded.conversationId === conversation._id) return recorded;
    return this.collections.messages.findOne({ conversationId: conversation._id, ...notDeleted }, { sort: { createdAt: -1, _id: -1 } });
  }

  private async liveMessage(id: string): Promise<MessageDoc | null> {
    const doc = await this.collections.messages.findById(id);
    return doc && !doc._deleted ? doc : null;
  }

  /** The message a cursor names; BAD_USER_INPUT (naming the argument) unless it is one of this conversation's. */
  private async cursorMessage(conversation: ConversationDoc, cursor: string, field: 'after' | 'before'): Promise<MessageDoc> {
    const { id } = decodeCursor(cursor, field);
    const message = await this.liveMessage(id);
    if (!message || message.conversationId !== conversation._id)
      throw codedError('BAD_USER_INPUT', `${field} does not name a message of this conversation`, { field });
    return message;
  }

  /** `from` and up to `limit - 1` of its ancestors, newest first, in one query by depth. */
  private async ancestors(conversation: ConversationDoc, from: MessageDoc, limit: number): Promise<MessageDoc[]> {
    const lowest = Math.max(0, from.depth - limit + 1);
    const rows =
      from.depth === lowest
        ? []
        : await this.collections.messages.find({
            conversationId: conversation._id,
            depth: { $gte: lowest, $lt: from.depth },
            ...notDeleted,
          });
    const byId = new Map(rows.map((m) => [m._id, m]));
    const path = [from];
    let current: MessageDoc | undefined = from;
    while (path.length < limit && current.parentId) {
      current = byId.get(current.parentId);
      if (!current) break;
      path.push(current);
    }
    return path;
  }

  /** Root-first paging (and `last` with `after`): the whole path, then a window of it. */
  private async forward(
    conversation: ConversationDoc,
    leaf: MessageDoc | null,
    page: PageRequest,
    size: number,
    fromEnd: boolean,
    totalCount: () => Promise<number>,
  ): Promise<Connection<MessageDoc>> {
    const tree = new MessageTree(await this.collections.messages.find({ conversationId: conversation._id, ...notDeleted }));
    const path = leaf ? tree.pathTo(leaf._id) : [];
    let from = 0;
    let to = path.length;
    if (page.after) {
      const after = await this.cursorMessage(conversation, page.after, 'after');
      const index = path.findIndex((m) => m._id === after._id);
      if (index < 0) throw codedError('BAD_USER_INPUT', 'after names a message that is not on the active branch', { field: 'after' });
      from = index + 1;
    }
    if (page.before) {
      const before = await this.cursorMessage(conversation, page.before, 'before');
      const index = path.findIndex((m) => m._id === before._id);
      if (index < 0) throw codedError('BAD_USER_INPUT', 'before names a message that is not on the active branch', { field: 'before' });
      to = index;
    }
    const window = path.slice(from, Math.max(from, to));
    const nodes = fromEnd ? window.slice(Math.max(0, window.length - size)) : window.slice(0, size);
    const edges = nodes.map((node) => ({ cursor: cursorOf(node), node }));
    return {
      edges,
      pageInfo: {
        hasNextPage: fromEnd ? to < path.length : window.length > size,
        hasPreviousPage: fromEnd ? window.length > size : from > 0,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
      totalCount,
    };
  }
}
