import type { EventHeaders } from '../port';
import type { EventDb, LogRecord } from './eventDb';

export type { LogRecord } from './eventDb';

/**
 * One topic of the embedded bus, on the bus's SQLite database. Appends made while the previous
 * batch is being written are group-committed (one transaction, one fsync) before `append` resolves;
 * consumers see a record only once it is durable, so nothing handled can vanish in a crash.
 * Nothing of the topic is held in memory but each partition's next offset: consumers read
 * small batches from the database.
 */

/** Sends a wake-up to whoever waits for new records on a partition. */
type Waiter = () => void;

interface Pending {
  partition: number;
  record: LogRecord;
}

export class TopicLog {
  private pending: Pending[] = [];
  private acks: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private flushing: Promise<void> | undefined;
  /** Next offset to assign per partition (durable or pending). */
  private readonly nextOffset: number[];
  /** End of the durable records per partition (one past the last committed offset). */
  private readonly durableEnd: number[];
  private readonly waiters: Waiter[][];
  private lastFailure: Error | undefined;

  private constructor(
    readonly topic: string,
    private readonly db: EventDb,
    readonly partitions: number,
  ) {
    this.nextOffset = Array.from({ length: partitions }, (_, partition) => db.nextOffset(topic, partition));
    this.durableEnd = [...this.nextOffset];
    this.waiters = this.nextOffset.map(() => []);
  }

  /** Opens (or creates with `partitions`) the log of `topic`; an existing topic keeps its partition count. */
  static open(db: EventDb, topic: string, partitions: number): TopicLog {
    const existing = db.partitions(topic);
    if (existing === undefined) db.createTopic(topic, partitions);
    return new TopicLog(topic, db, existing ?? partitions);
  }

  /** Appends records to their partitions; resolves once they are committed and visible to consumers. */
  append(entries: ReadonlyArray<{ partition: number; key: string; value: string; headers: EventHeaders }>): Promise<void> {
    const timestamp = Date.now();
    for (const { partition, key, value, headers } of entries) {
      const offset = this.nextOffset[partition] ?? 0;
      this.nextOffset[partition] = offset + 1;
      this.pending.push({ partition, record: { offset, key, value, headers, timestamp } });
    }
    const acked = new Promise<void>((resolve, reject) => this.acks.push({ resolve, reject }));
    this.flushing ??= this.flushLoop();
    return acked;
  }

  /** Commits and fsyncs what is pending, batch after batch, until nothing is. */
  private async flushLoop(): Promise<void> {
    // Deferred so that the appends of this turn of the event loop share one transaction.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.pending.length > 0) await this.commit();
    } finally {
      this.flushing = undefined;
    }
  }

  private async commit(): Promise<void> {
    const batch = this.pending.splice(0);
    const acks = this.acks.splice(0);
    try {
      this.db.transaction(() => this.db.insert(this.topic, batch));
      await this.db.syncWal();
      this.lastFailure = undefined;
    } catch (error) {
      // Not acknowledged, not visible. Its offsets stay used (never handed out twice in this run).
      this.lastFailure = error instanceof Error ? error : new Error(String(error));
      for (const ack of acks) ack.reject(this.lastFailure);
      return;
    }
    const touched = new Set<number>();
    for (const { partition, record } of batch) {
      this.durableEnd[partition] = Math.max(this.durableEnd[partition] ?? 0, record.offset + 1);
      touched.add(partition);
    }
    for (const ack of acks) ack.resolve();
    for (const partition of touched) for (const wake of this.waiters[partition]?.splice(0) ?? []) wake();
  }

  /** The offset the next durable record of `partition` will have (its log end). */
  endOffset(partition: number): number {
    return this.durableEnd[partition] ?? 0;
  }

  /** Up to `limit` durable records of `partition` from `offset` on (the first may be past it: deleted or lost records leave gaps). */
  read(partition: number, offset: number, limit: number): LogRecord[] {
    const end = this.endOffset(partition);
    return offset < end ? this.db.read(this.topic, partition, offset, end, limit) : [];
  }

  /** Resolves when a record at `offset` or later is durable on `partition`, or when `signal` aborts. */
  waitFor(partition: number, offset: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted || offset < this.endOffset(partition)) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.waiters[partition]?.push(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  /** The error of the last failed commit, until one succeeds. */
  get failed(): Error | undefined {
    return this.lastFailure;
  }

  /** Commits what is pending and wakes every waiter. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    for (const list of this.waiters) for (const wake of list.splice(0)) wake();
  }
}
