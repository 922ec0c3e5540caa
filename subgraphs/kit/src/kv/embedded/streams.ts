import type { FollowSource } from '../follow';
import type { StreamEntry } from '../port';
import type { Keyspace } from './keyspace';
import { StreamLog } from './streamLog';

/**
 * Embedded streams over the key space, with in-process wake-ups: a follower waiting on a stream is
 * woken by the next append to it. Appends and reads are synchronous here, so "check the last seq,
 * else register a waiter" cannot miss an append.
 */
export class EmbeddedStreams {
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly keyspace: Keyspace) {}

  append(stream: string, fields: Record<string, string>, maxLen: number | undefined): number {
    let log = this.keyspace.lookupKind(stream, 'stream')?.log;
    if (!log) {
      log = new StreamLog();
      this.keyspace.put(stream, { kind: 'stream', log }, undefined);
    }
    const seq = log.append(fields, maxLen);
    const woken = this.waiters.get(stream);
    if (woken) {
      this.waiters.delete(stream);
      // Asynchronously, like a Redis reply: the appender's call completes before followers run.
      queueMicrotask(() => woken.forEach((wake) => wake()));
    }
    return seq;
  }

  read(stream: string, after: number, count: number | undefined): StreamEntry[] {
    return this.keyspace.lookupKind(stream, 'stream')?.log.read(after, count) ?? [];
  }

  trim(stream: string, maxLen: number): number {
    return this.keyspace.lookupKind(stream, 'stream')?.log.trim(maxLen) ?? 0;
  }

  /** The follow source of one stream; `guard` rejects calls once the store stopped. */
  source(stream: string, guard: () => void): FollowSource {
    return {
      read: async (after, count) => {
        guard();
        return this.read(stream, after, count);
      },
      waitAfter: (after, signal) => this.waitAfter(stream, after, signal),
    };
  }

  private waitAfter(stream: string, after: number, signal: AbortSignal): Promise<StreamEntry[]> {
    const log = this.keyspace.lookupKind(stream, 'stream')?.log;
    if (signal.aborted || (log && log.lastSeq > after)) return Promise.resolve([]);
    return new Promise((resolve) => {
      const wake = (): void => {
        signal.removeEventListener('abort', wake);
        const set = this.waiters.get(stream);
        set?.delete(wake);
        if (set?.size === 0) this.waiters.delete(stream);
        resolve([]);
      };
      signal.addEventListener('abort', wake, { once: true });
      let set = this.waiters.get(stream);
      if (!set) {
        set = new Set();
        this.waiters.set(stream, set);
      }
      set.add(wake);
    });
  }
}
