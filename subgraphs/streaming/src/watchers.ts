import type { KvStore } from '@chatgraph/kit/kv';

/**
 * Who watches a stream, shared by every streaming instance through the kv (Redis in production),
 * so the instance that decides whether a generation ended unwatched (`streamEnds.ts`) sees the
 * subscriptions of all the others:
 * - `tokens:<streamId>:watchers`: a counter of the `messageStream` subscriptions attached now
 *   (+1 before the iterator is handed out, -1 when it ends, whichever way);
 * - `tokens:<streamId>:watched`: set when a subscription has read the stream's `done` entry, i.e.
 *   the owner saw the end (written before that subscription's -1, so a reader that finds no
 *   watcher finds the marker if the end was seen).
 * Only the owner can subscribe to a stream, so every watcher is the owner's.
 */

/** How long the counter and the marker live: an instance that dies with subscriptions open never decrements. */
export const WATCH_TTL_MS = 6 * 3_600_000;

export const watchersKey = (streamId: string): string => `tokens:${streamId}:watchers`;
export const watchedKey = (streamId: string): string => `tokens:${streamId}:watched`;

/** A subscription attached to the stream. */
export async function watchStarted(kv: KvStore, streamId: string): Promise<void> {
  await kv.incrBy(watchersKey(streamId), 1, { ttlMs: WATCH_TTL_MS });
}

/** A subscription left the stream (after `endSeen` when it read the end). */
export async function watchEnded(kv: KvStore, streamId: string): Promise<void> {
  await kv.incrBy(watchersKey(streamId), -1, { ttlMs: WATCH_TTL_MS });
}

/** A subscription read the stream's `done` entry: the owner was watching when it ended. */
export async function endSeen(kv: KvStore, streamId: string): Promise<void> {
  await kv.set(watchedKey(streamId), '1', { ttlMs: WATCH_TTL_MS });
}

/**
 * Whether the owner watched the end of the stream, asked once the generation has ended: a
 * subscription is attached now (it is there at the end), or one read the end already.
 */
export async function wasWatched(kv: KvStore, streamId: string): Promise<boolean> {
  const attached = Number((await kv.get(watchersKey(streamId))) ?? '0');
  if (attached > 0) return true;
  return (await kv.get(watchedKey(streamId))) !== null;
}
