import { requireUser, type Principal } from '@chatgraph/kit';
import { decodeChangeCursor } from './changeCursor';
import type { ChangeFeeds, FeedItem } from './changeLog';

/** `myEvents`: the caller's live change feed, resumable from a cursor. */
export class MyEventsService {
  constructor(private readonly feeds: ChangeFeeds) {}

  /**
   * The caller's changes from now on; with `after` (the cursor of the last change the client
   * received), first the changes since, then live, each once. Only the caller's own log is ever
   * read, so a cursor of another user's selects nothing of theirs (it is refused as expired).
   */
  async follow(principal: Principal, after?: string | null): Promise<AsyncIterableIterator<FeedItem>> {
    const { userId } = requireUser({ principal });
    if (after === null || after === undefined) return this.feeds.follow(userId, await this.feeds.log.head(userId));
    const cursor = decodeChangeCursor(after);
    // A trim between this check and the first read shows as a jump in seqs: the feed then ends expired.
    await this.feeds.log.check(userId, cursor);
    return this.feeds.follow(userId, cursor.seq);
  }
}
