import type { Logger } from '@chatgraph/kit';
import type { KvStore, Unsubscribe } from '@chatgraph/kit/kv';
import type { NotificationDoc } from './store';

/** The most notifications one live subscription holds unsent; one more ends it (the client re-reads `notifications`). */
export const LIVE_QUEUE_LIMIT = 1_000;

/** The pub/sub channel of one user's new notifications, on the kv every notification instance shares. */
export function liveChannel(userId: string): string {
  return `notifications:live:${userId}`;
}

/** What travels on the channel: the whole notification, so no instance reads the store per delivery. */
type WireNotification = Omit<NotificationDoc, 'createdAt'> & { createdAt: string };

/** Announces a new notification to every open subscription of its user, on every instance. */
export async function announce(kv: KvStore, doc: NotificationDoc): Promise<void> {
  const wire: WireNotification = { ...doc, createdAt: doc.createdAt.toISOString() };
  await kv.publish(liveChannel(doc.userId), JSON.stringify(wire));
}

/**
 * One open `notificationReceived`: the user's channel as an async iterator. Pub/sub is at most
 * once, so a tab that was not connected catches up with `notifications(unreadOnly: true)`.
 */
class LiveFeed implements AsyncIterableIterator<NotificationDoc> {
  private readonly queue: NotificationDoc[] = [];
  private waiting: ((result: IteratorResult<NotificationDoc>) => void) | undefined;
  /** Ids sent by the catch-up: the live copy of one is skipped. */
  private readonly caughtUp = new Set<string>();
  private ended = false;
  private unsubscribe: Unsubscribe | undefined;

  constructor(
    private readonly userId: string,
    private readonly log: Logger,
    private readonly onEnd: () => void,
  ) {}

  async open(kv: KvStore): Promise<this> {
    this.unsubscribe = await kv.subscribe(liveChannel(this.userId), (message) => this.push(message));
    return this;
  }

  private push(message: string): void {
    if (this.ended) return;
    const wire = JSON.parse(message) as WireNotification;
    // The channel is the user's; the check keeps a mis-published message from reaching another user.
    if (wire.userId !== this.userId) return;
    if (this.caughtUp.has(wire._id)) return;
    const doc: NotificationDoc = { ...wire, createdAt: new Date(wire.createdAt) };
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: doc, done: false });
      return;
    }
    if (this.queue.length >= LIVE_QUEUE_LIMIT) {
      this.log.warn({ userId: this.userId }, 'notificationReceived too far behind: ended');
      void this.return();
      return;
    }
    this.queue.push(doc);
  }

  /**
   * Puts what was stored while the client was away before what arrived live since the feed
   * opened, each notification once. Called before the iterator is handed out.
   */
  catchUp(docs: readonly NotificationDoc[]): void {
    for (const doc of docs) this.caughtUp.add(doc._id);
    const live = this.queue.splice(0).filter((doc) => !this.caughtUp.has(doc._id));
    this.queue.push(...docs, ...live);
  }

  next(): Promise<IteratorResult<NotificationDoc>> {
    const value = this.queue.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  async return(): Promise<IteratorResult<NotificationDoc>> {
    if (!this.ended) {
      this.ended = true;
      this.queue.length = 0;
      this.waiting?.({ value: undefined, done: true });
      this.waiting = undefined;
      this.onEnd();
      await this.unsubscribe?.();
    }
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** Every open `notificationReceived` of this instance, ended when the service stops. */
export class LiveFeeds {
  private readonly open = new Set<LiveFeed>();

  constructor(
    private readonly kv: KvStore,
    private readonly log: Logger,
  ) {}

  /**
   * Opens `userId`'s feed; resolves once subscribed (a notification announced afterwards is
   * delivered). `missed`, read after subscribing, gives what was stored before: sent first, and
   * its live copies skipped, so a reconnecting client gets every notification once.
   */
  async follow(userId: string, missed?: () => Promise<NotificationDoc[]>): Promise<AsyncIterableIterator<NotificationDoc>> {
    const feed: LiveFeed = new LiveFeed(userId, this.log, () => this.open.delete(feed));
    this.open.add(feed);
    try {
      await feed.open(this.kv);
      if (missed) feed.catchUp(await missed());
      return feed;
    } catch (error) {
      await feed.return();
      throw error;
    }
  }

  /** How many feeds are open on this instance. */
  get size(): number {
    return this.open.size;
  }

  /** Ends every open feed. */
  async close(): Promise<void> {
    await Promise.all([...this.open].map((feed) => feed.return()));
  }
}
