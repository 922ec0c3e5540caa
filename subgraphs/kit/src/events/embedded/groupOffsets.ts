import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../logger';
import { errorCode, fsyncDir } from '../../store/embedded/files';
import { backoffDelay } from '../delivery';
import type { BackoffOptions } from '../port';

/** Retry delays of a failed offsets write: 100 ms doubling up to 5 s. */
const RETRY: BackoffOptions = { initialMs: 100, maxMs: 5_000, multiplier: 2 };

/**
 * The committed offsets of one consumer group (`<dir>/<groupId>.json`: topic -> partition ->
 * next offset to handle). Commits update memory at once and are written in the background,
 * coalesced (temp file, fsync, rename), so a busy group writes the file once per batch of
 * handled events, not once per event. Losing the last commits in a crash only means those
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

  private constructor(
    private readonly path: string,
    private readonly dir: string,
    private readonly offsets: Record<string, Record<string, number>>,
    private readonly logger: Logger | undefined,
  ) {}

  static async open(dir: string, groupId: string, logger?: Logger): Promise<GroupOffsets> {
    const path = join(dir, `${groupId}.json`);
    let offsets: Record<string, Record<string, number>> = {};
    try {
      offsets = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, number>>;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw new Error(`cannot read committed offsets ${path}: ${String(error)}`);
    }
    return new GroupOffsets(path, dir, offsets, logger);
  }

  /** The next offset to handle on a partition (0 for a partition the group never committed). */
  get(topic: string, partition: number): number {
    return this.offsets[topic]?.[String(partition)] ?? 0;
  }

  commit(topic: string, partition: number, next: number): void {
    (this.offsets[topic] ??= {})[String(partition)] = next;
    this.dirty = true;
    this.writing ??= this.writeLoop();
  }

  /** The committed offsets of every partition of a topic, by partition. */
  committed(topic: string): Readonly<Record<string, number>> {
    return { ...this.offsets[topic] };
  }

  private async writeLoop(): Promise<void> {
    // Deferred so that the commits of this turn of the event loop share one write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    let failures = 0;
    try {
      while (this.dirty) {
        this.dirty = false;
        try {
          await this.write(JSON.stringify(this.offsets));
          if (failures > 0) this.logger?.info({ path: this.path, failures }, 'committed offsets written again');
          failures = 0;
        } catch (error) {
          // Offsets are an optimisation of redelivery, not data: keep consuming, say so, and retry.
          failures++;
          this.dirty = true;
          this.logger?.warn({ err: error, path: this.path, failures }, 'could not write committed offsets; retrying');
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

  private async write(text: string): Promise<void> {
    const temp = `${this.path}.tmp`;
    const file = await open(temp, 'w');
    try {
      await file.write(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, this.path);
    await fsyncDir(this.dir);
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
        await this.write(JSON.stringify(this.offsets));
      }
    } catch (error) {
      this.dirty = true;
      throw error;
    } finally {
      this.flushing = false;
    }
  }
}
