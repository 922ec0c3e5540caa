import type { MessageDoc } from './store';

/**
 * Pure functions over one conversation's messages (all branches, loaded in one read). Walking the
 * tree in memory keeps `currentBranch`, `children` and sibling positions at one store query per
 * conversation however deep the tree is.
 */

/** Oldest first; ids break ties because they sort by creation within a process. */
export function chronological(a: MessageDoc, b: MessageDoc): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);
}

/** An index of a conversation's messages by id and by parent. */
export class MessageTree {
  private readonly byId = new Map<string, MessageDoc>();
  private readonly byParent = new Map<string | null, MessageDoc[]>();

  constructor(messages: readonly MessageDoc[]) {
    for (const message of [...messages].sort(chronological)) {
      this.byId.set(message._id, message);
      const siblings = this.byParent.get(message.parentId);
      if (siblings) siblings.push(message);
      else this.byParent.set(message.parentId, [message]);
    }
  }

  get(id: string): MessageDoc | undefined {
    return this.byId.get(id);
  }

  /** Whether any message of the tree satisfies `test`. */
  some(test: (message: MessageDoc) => boolean): boolean {
    for (const message of this.byId.values()) if (test(message)) return true;
    return false;
  }

  /** Children of `parentId` (null: the roots), oldest first. */
  children(parentId: string | null): MessageDoc[] {
    return this.byParent.get(parentId) ?? [];
  }

  /** The messages sharing `message`'s parent, itself included, oldest first. */
  siblings(message: MessageDoc): MessageDoc[] {
    return this.children(message.parentId);
  }

  /** Root -> `leafId`; empty when the leaf is unknown. */
  pathTo(leafId: string | null): MessageDoc[] {
    const path: MessageDoc[] = [];
    const seen = new Set<string>();
    let current = leafId ? this.byId.get(leafId) : undefined;
    // `seen` guards against a corrupt cycle, which would otherwise loop forever.
    while (current && !seen.has(current._id)) {
      seen.add(current._id);
      path.push(current);
      current = current.parentId ? this.byId.get(current.parentId) : undefined;
    }
    return path.reverse();
  }

  /** The newest leaf under `id`, following the newest child at each level. */
  newestLeafUnder(id: string): MessageDoc | undefined {
    let current = this.byId.get(id);
    while (current) {
      const kids = this.children(current._id);
      const newest = kids[kids.length - 1];
      if (!newest) return current;
      current = newest;
    }
    return undefined;
  }

  /** The newest message of the whole tree, a fallback when the recorded active leaf is missing. */
  newest(): MessageDoc | undefined {
    let newest: MessageDoc | undefined;
    for (const message of this.byId.values()) if (!newest || chronological(newest, message) < 0) newest = message;
    return newest;
  }
}
