import type { KvStore, StreamEntry } from '../../src/kv';

/** What a contract run gets from an adapter. */
export interface KvUnderTest {
  /** A fresh store over empty (or uniquely prefixed) data, not yet started. */
  kv: KvStore;
  /**
   * A second, started store over the same data, as a second service instance would be; the
   * embedded adapter has none (one process), and tests then use `kv` for both roles.
   */
  connectPeer?: () => Promise<KvStore>;
  cleanup?: () => Promise<void>;
}

/** Accessors the contract sections receive (the store is made per test). */
export interface KvContext {
  kv(): KvStore;
  /** The peer if the adapter has one, else the store itself. */
  peer(): Promise<KvStore>;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true (or stops throwing), failing after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(10);
  }
}

/** Rejects if `promise` does not settle within `ms` (so a hang fails the test with a name, not a jest timeout). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Takes entries from a follower until one has `seq >= lastSeq`, then ends the follow. */
export async function followUntil(iterator: AsyncIterableIterator<StreamEntry>, lastSeq: number, ms = 10_000): Promise<StreamEntry[]> {
  const got: StreamEntry[] = [];
  const run = async (): Promise<StreamEntry[]> => {
    for await (const entry of iterator) {
      got.push(entry);
      if (entry.seq >= lastSeq) break;
    }
    return got;
  };
  try {
    return await within(run(), ms, `follow up to seq ${lastSeq} (got ${got.length})`);
  } finally {
    await iterator.return?.();
  }
}

/** 1..n, the seqs a complete read must show. */
export const seqs = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A small seeded PRNG (mulberry32), so a randomized test replays exactly. */
export function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
