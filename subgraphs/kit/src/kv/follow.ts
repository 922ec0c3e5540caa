import { setMaxListeners } from 'node:events';
import type { StreamEntry } from './port';

/** What a follower needs from an adapter. */
export interface FollowSource {
  /** Entries with `seq > after`, oldest first, at most `count`; `signal` ends any retrying early. */
  read(after: number, count: number, signal: AbortSignal): Promise<StreamEntry[]>;
  /**
   * Resolves when entries after `after` may exist — at once if they already do, so an append that
   * raced with the previous read is never missed. It may hand over entries it already holds, but
   * only a contiguous run starting right after `after`; `[]` means "read again". Resolves `[]`
   * when `signal` aborts.
   */
  waitAfter(after: number, signal: AbortSignal): Promise<StreamEntry[]>;
}

const BATCH = 256;

/**
 * The iterator behind `follow()`, shared by both adapters: replay by reading after the cursor,
 * then alternate "wait for more" and "read more". It is written by hand rather than as an async
 * generator because a generator's `return()` waits for the pending `await` to settle, and a
 * GraphQL subscription closing on an idle stream must release its waiter at once.
 */
export class StreamFollower implements AsyncIterableIterator<StreamEntry> {
  /** Ended by `return()`, by a read failing, or by any of `signals` (the caller's, the store's stop). */
  private readonly aborter = new AbortController();
  private readonly buffer: StreamEntry[] = [];
  private cursor: number;
  /** After a short read we are at the end: wait first, which resolves at once if something came. */
  private mustWait = false;
  /** `next()` calls are served one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly detach: () => void;

  constructor(
    private readonly source: FollowSource,
    after: number,
    signals: ReadonlyArray<AbortSignal | undefined>,
  ) {
    this.cursor = after;
    const stop = () => this.end();
    const live = signals.filter((s): s is AbortSignal => s !== undefined);
    for (const signal of live) {
      if (signal.aborted) this.end();
      else signal.addEventListener('abort', stop, { once: true });
    }
    this.detach = () => live.forEach((signal) => signal.removeEventListener('abort', stop));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<StreamEntry>> {
    const result = this.queue.then(() => this.pull());
    this.queue = result.catch(() => undefined);
    return result;
  }

  return(): Promise<IteratorResult<StreamEntry>> {
    this.end();
    return Promise.resolve({ done: true, value: undefined });
  }

  private end(): void {
    if (this.aborter.signal.aborted) return;
    this.aborter.abort();
    this.buffer.length = 0;
    this.detach();
  }

  private async pull(): Promise<IteratorResult<StreamEntry>> {
    try {
      return await this.step();
    } catch (error) {
      // Stopping the store mid-read is an end, not a failure; anything else ends the follow too.
      const ended = this.aborter.signal.aborted;
      this.end();
      if (ended) return { done: true, value: undefined };
      throw error;
    }
  }

  private async step(): Promise<IteratorResult<StreamEntry>> {
    const signal = this.aborter.signal;
    for (;;) {
      if (signal.aborted) return { done: true, value: undefined };
      const entry = this.buffer.shift();
      if (entry) {
        this.cursor = entry.seq;
        return { done: false, value: entry };
      }
      if (this.mustWait) {
        const pushed = await this.source.waitAfter(this.cursor, signal);
        this.mustWait = pushed.length > 0;
        this.buffer.push(...pushed.filter((e) => e.seq > this.cursor));
        continue;
      }
      const entries = await this.source.read(this.cursor, BATCH, signal);
      this.mustWait = entries.length < BATCH;
      this.buffer.push(...entries);
    }
  }
}

/**
 * The controller a store aborts on stop(). Every open follower listens to its signal, and Node
 * warns of a leak past 10 listeners on one AbortSignal, so the limit is lifted for this one.
 */
export function stopSignal(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
