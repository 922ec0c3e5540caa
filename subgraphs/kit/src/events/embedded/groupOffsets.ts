import type { Logger } from '../../logger';
import { backoffDelay } from '../delivery';
import type { BackoffOptions } from '../port';
import type { EventDb } from './eventDb';

/** Retry delays of a failed offsets write: 100 ms doubling up to 5 s. */
const RETRY: BackoffOptions = { initialMs: 100, maxMs: 5_000, multiplier: 2 };

/**
 * How long commits gather before one write. Every write adds pages to the WAL that the next
 * publish's fsync must flush and a checkpoint must copy: writing after every handled event
 * cost a third of the throughput. A crash redelivers at most this much more.
 */
const WRITE_DELAY_MS = 20;

/**
 * The committed offsets of one consumer group (rows of `group_offsets` in the bus's database:
 * topic, partition, next offset to handle). Commits update memory at once and are written in the
 * background, coalesced into one transaction, so a busy group writes once per batch of handled
 * events, not once per event. Losing the last commits in a crash only means those
 * events are delivered again, which at-least-once allows; `flush()` on stop loses nothing.
 * A write that fails (disk full, a damaged directory) is logged and retried with backoff until
 * one succeeds: until then a crash would redeliver everything since the last written offsets.
 */
export class GroupOffsets {
  private dirty = false;
  private writing: Promise<void> | undefined;
  /** Set by `flush()`: the background loop stops retrying and leaves the last try to it. */
  private flushing = false;
  private wakeRetry: (() => void) | undefined;

  /** Partitions committed since the last write, as `topic\0partition`. */
  private readonly changed = new Set<string>();

  private constructor(
    private readonly db: EventDb,
    private readonly groupId: string,
    private readonly offsets: Record<string, Record<string, number>>,
    private readonly logger: Logger | undefined,
  ) {}

  /** Reads the group's committed offsets (a few rows: one per partition it consumes). */
  static open(db: EventDb, groupId: string, logger?: Logger): GroupOffsets {
    return new GroupOffsets(db, groupId, db.groupOffsets(groupId), logger);
  }

  /** The next offset to handle on a partition (0 for a partition the group never committed). */
  get(topic: string, partition: number): number {
    return this.offsets[topic]?.[String(partition)] ?? 0;
  }

  commit(topic: string, partition: number, next: number): void {
    (this.offsets[topic] ??= {})[String(partition)] = next;
    this.changed.add(`${topic}\0${partition}`);
    this.dirty = true;
    this.writing ??= this.writeLoop();
  }

  /** The committed offsets of every partition of a topic, by partition. */
  committed(topic: string): Readonly<Record<string, number>> {
    return { ...this.offsets[topic] };
  }

  private async writeLoop(): Promise<void> {
    // Deferred so that the commits of the next few milliseconds share one write (a busy group
    // commits after every event; `flush()` cuts the wait short).
    if (!this.flushing) await this.pause(WRITE_DELAY_MS);
    let failures = 0;
    try {
      while (this.dirty) {
        this.dirty = false;
        try {
          this.write();
          if (failures > 0) this.logger?.info({ groupId: this.groupId, failures }, 'committed offsets written again');
          failures = 0;
        } catch (error) {
          // Offsets are an optimisation of redelivery, not data: keep consuming, say so, and retry.
          failures++;
          this.dirty = true;
          this.logger?.warn({ err: error, groupId: this.groupId, failures }, 'could not write committed offsets; retrying');
          if (this.flushing) return;
          await this.pause(backoffDelay(RETRY, failures));
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  /** Waits `ms`, or until `flush()` cuts the wait short. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeRetry = done;
    }).finally(() => (this.wakeRetry = undefined));
  }

  /** Writes the partitions committed since the last write; on failure they stay to be written. */
  private write(): void {
    const entries = [...this.changed].map((id) => {
      const [topic = '', partition = '0'] = id.split('\0');
      return { topic, partition: Number(partition), next: this.get(topic, Number(partition)) };
    });
    this.db.commitOffsets(this.groupId, entries);
    for (const id of entries) this.changed.delete(`${id.topic}\0${id.partition}`);
  }

  /** Waits until every commit so far is on disk; throws if the last try to write them failed. */
  async flush(): Promise<void> {
    this.flushing = true;
    try {
      this.wakeRetry?.();
      while (this.writing) await this.writing;
      // The background loop gave up for us (or never ran): one last try, whose failure is the caller's.
      if (this.dirty) {
        this.dirty = false;
        this.write();
      }
    } catch (error) {
      this.dirty = true;
      throw error;
    } finally {
      this.flushing = false;
    }
  }
}
