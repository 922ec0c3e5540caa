import type { Logger } from '@chatgraph/kit';
import type { KvStore, StreamEntry } from '@chatgraph/kit/kv';
import { cursorExpired, encodeChangeCursor, type ChangeCursor } from './changeCursor';

/** What changed, as `MyEvent.kind` says it. */
export type ChangeKind =
  'CONVERSATION_CREATED' | 'CONVERSATION_UPDATED' | 'CONVERSATION_DELETED' | 'MESSAGE_CREATED' | 'MESSAGE_COMPLETED' | 'MESSAGE_RATED';

/** One change of one user's things, as the log keeps it: ids only (the router hydrates the rest). */
export interface Change {
  /** The conversation event's id (stable across redeliveries). */
  eventId: string;
  kind: ChangeKind;
  conversationId: string;
  messageId: string | null;
  /** CONVERSATION_UPDATED: which fields changed (`title`, `pinned`, `archived`, `tags`). */
  changedFields: string[];
  /** ISO-8601, when the change happened. */
  occurredAt: string;
}

/** A change as a subscription delivers it: with its place in the log. */
export interface LoggedChange extends Change {
  seq: number;
  cursor: string;
}

/** How long and how far back a user's change log reaches. */
export interface ChangeLogLimits {
  /** The log keeps at least this many newest changes (at most 100 more: trimming is approximate). */
  maxLength: number;
  /** The log is deleted this long after its last change, unless a subscription keeps it alive. */
  ttlMs: number;
}

/** Defaults: a cursor stays valid for the 1,000 newest changes and at least 24 hours. */
export const CHANGE_LOG_LIMITS: ChangeLogLimits = { maxLength: 1_000, ttlMs: 24 * 60 * 60 * 1000 };

/** The kv stream of one user's changes (every notification instance appends to and follows it). */
export function changeLogKey(userId: string): string {
  return `myevents:log:${userId}`;
}

/** The seq of the last change appended to a user's log: where a subscription without `after` starts. */
function headKey(userId: string): string {
  return `myevents:head:${userId}`;
}

/** Marks an event as logged, so a redelivery appends nothing. */
function seenKey(eventId: string): string {
  return `myevents:seen:${eventId}`;
}

function toFields(change: Change): Record<string, string> {
  return {
    id: change.eventId,
    kind: change.kind,
    conversationId: change.conversationId,
    messageId: change.messageId ?? '',
    changed: change.changedFields.join(','),
    occurredAt: change.occurredAt,
  };
}

function fromEntry(entry: StreamEntry): LoggedChange {
  const f = entry.fields;
  const eventId = f.id ?? '';
  return {
    seq: entry.seq,
    cursor: encodeChangeCursor({ seq: entry.seq, eventId }),
    eventId,
    kind: (f.kind ?? 'CONVERSATION_UPDATED') as ChangeKind,
    conversationId: f.conversationId ?? '',
    messageId: f.messageId ? f.messageId : null,
    changedFields: f.changed ? f.changed.split(',') : [],
    occurredAt: f.occurredAt ?? new Date(0).toISOString(),
  };
}

/**
 * Each user's recent changes, in a bounded kv stream with a TTL. The stream gives every change a
 * consecutive seq and lets any instance follow it after a seq without gaps or duplicates, which
 * is what a reconnecting tab needs; on Redis all instances share it.
 */
export class ChangeLog {
  constructor(
    private readonly kv: KvStore,
    readonly limits: ChangeLogLimits = CHANGE_LOG_LIMITS,
  ) {}

  /**
   * Appends `change` to `userId`'s log, once per event: a redelivered event finds its marker and
   * appends nothing. The marker is written after the append, so a crash in between duplicates a
   * change rather than losing it (a client applying it twice to its cache ends in the same state).
   * Resolves whether it was appended.
   */
  async append(userId: string, change: Change): Promise<boolean> {
    const { ttlMs, maxLength } = this.limits;
    if ((await this.kv.get(seenKey(change.eventId))) !== null) return false;
    const log = changeLogKey(userId);
    const seq = await this.kv.append(log, toFields(change), { maxLen: maxLength });
    await this.kv.expire(log, ttlMs);
    // Concurrent appends may leave an older head: a new subscription then also gets the newer
    // change, which happened before it subscribed (harmless for a cache), and misses none.
    await this.kv.set(headKey(userId), String(seq), { ttlMs });
    await this.kv.set(seenKey(change.eventId), String(seq), { ttlMs });
    return true;
  }

  /** The seq a subscription without `after` follows from: changes after it are new. */
  async head(userId: string): Promise<number> {
    const value = await this.kv.get(headKey(userId));
    const seq = value === null ? 0 : Number(value);
    return Number.isSafeInteger(seq) && seq > 0 ? seq : 0;
  }

  /**
   * Checks that `cursor` names an event still in `userId`'s log (same seq, same event id); throws
   * NOT_FOUND `CURSOR_EXPIRED` otherwise: trimmed, expired, restarted, or another user's cursor
   * (whose seq holds another event, or none, in this user's log).
   */
  async check(userId: string, cursor: ChangeCursor): Promise<void> {
    const [entry] = await this.kv.read(changeLogKey(userId), { after: cursor.seq - 1, count: 1 });
    if (entry?.seq !== cursor.seq || entry.fields.id !== cursor.eventId) throw cursorExpired();
  }

  /** Keeps `userId`'s log (and head) alive while a subscription follows it. */
  async refresh(userId: string): Promise<void> {
    await this.kv.expire(changeLogKey(userId), this.limits.ttlMs);
    await this.kv.expire(headKey(userId), this.limits.ttlMs);
  }

  /** Deletes `userId`'s log (a deleted account). */
  async remove(userId: string): Promise<void> {
    await this.kv.del(changeLogKey(userId));
    await this.kv.del(headKey(userId));
  }

  /** Follows `userId`'s log after `after`: the changes since, then each new one, in order. */
  follow(userId: string, after: number, signal: AbortSignal): AsyncIterableIterator<StreamEntry> {
    return this.kv.follow(changeLogKey(userId), { after, signal });
  }
}

/** What a subscription's iterator yields: a change, or the end because changes were lost. */
export type FeedItem = { change: LoggedChange } | { expired: true };

/**
 * One open `myEvents`: the user's log after a seq, as changes. A jump in seqs means changes were
 * trimmed before they were read (the client is more than the log's length behind): it then
 * yields `expired` once and ends, and the client refetches.
 */
class ChangeFeed implements AsyncIterableIterator<FeedItem> {
  private readonly aborter = new AbortController();
  private readonly entries: AsyncIterableIterator<StreamEntry>;
  private last: number;
  private ended = false;

  constructor(
    log: ChangeLog,
    readonly userId: string,
    after: number,
    private readonly onEnd: () => void,
  ) {
    this.last = after;
    this.entries = log.follow(userId, after, this.aborter.signal);
  }

  async next(): Promise<IteratorResult<FeedItem>> {
    if (this.ended) return { value: undefined, done: true };
    const result = await this.entries.next();
    if (result.done) return this.return();
    const entry = result.value;
    // A log that restarted (expired, then written again) starts at seq 1: a jump backwards too.
    if (entry.seq !== this.last + 1) {
      await this.return();
      return { value: { expired: true }, done: false };
    }
    this.last = entry.seq;
    return { value: { change: fromEntry(entry) }, done: false };
  }

  async return(): Promise<IteratorResult<FeedItem>> {
    if (!this.ended) {
      this.ended = true;
      this.aborter.abort();
      await this.entries.return?.();
      this.onEnd();
    }
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** How often the logs of open subscriptions get their TTL back (well within the TTL). */
const REFRESH_EVERY_MS = 60 * 60 * 1000;

/** Every open `myEvents` of this instance: counted, kept alive, ended when the service stops. */
export class ChangeFeeds {
  private readonly open = new Set<ChangeFeed>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly log: ChangeLog,
    private readonly logger: Logger,
  ) {}

  /** Opens `userId`'s feed after `after` (a seq already checked, or the head). */
  follow(userId: string, after: number): AsyncIterableIterator<FeedItem> {
    const feed: ChangeFeed = new ChangeFeed(this.log, userId, after, () => this.open.delete(feed));
    this.open.add(feed);
    this.timer ??= setInterval(() => void this.refresh(), Math.min(REFRESH_EVERY_MS, this.log.limits.ttlMs / 4)).unref();
    return feed;
  }

  /**
   * Gives the log of every user with an open subscription its TTL back, so a tab idle for longer
   * than the TTL does not wait on a log that expired (and restarted at seq 1 under it).
   */
  async refresh(): Promise<void> {
    const users = new Set([...this.open].map((feed) => feed.userId));
    for (const userId of users) {
      await this.log.refresh(userId).catch((error: unknown) => this.logger.warn({ err: error, userId }, 'change log not refreshed'));
    }
  }

  /** How many feeds are open on this instance. */
  get size(): number {
    return this.open.size;
  }

  /** Ends every open feed. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.open].map((feed) => feed.return()));
  }
}
