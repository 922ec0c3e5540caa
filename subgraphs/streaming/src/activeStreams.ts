import type { Logger } from '@chatgraph/kit';
import type { KvStore } from '@chatgraph/kit/kv';
import { ownerStreamsKey, tokenStreamKey } from '@chatgraph/schema';
import { readMeta } from './ownership';
import { MAX_STREAM_ID_LENGTH } from './streamArgs';

/** Newest entries of an owner's index looked at: more running generations than this at once is abuse. */
export const OWNER_INDEX_SCAN = 200;
/** Most generations `activeStreams` returns. */
export const MAX_ACTIVE_STREAMS = 50;

/** A `StreamInfo` as resolvers return it; `lastSeq` is resolved only when asked for. */
export interface ActiveStreamView {
  streamId: string;
  model: string;
  startedAt: Date;
  conversationId: string;
  messageId: string;
}

/**
 * The owner's running generations, newest first: the newest `OWNER_INDEX_SCAN` ids of the owner
 * index whose meta says `running` and names the owner. The index has no reverse read in the kv
 * port, so it is read whole; ai-gateway keeps it bounded (`maxLen`) as the contract says.
 */
export async function listActiveStreams(kv: KvStore, ownerId: string, log: Logger): Promise<ActiveStreamView[]> {
  const entries = await kv.read(ownerStreamsKey(ownerId));
  const ids = new Set<string>();
  for (const entry of entries.slice(-OWNER_INDEX_SCAN).reverse()) {
    const id = entry.fields.streamId;
    if (typeof id === 'string' && id.length > 0 && id.length <= MAX_STREAM_ID_LENGTH) ids.add(id);
  }
  const metas = await Promise.all([...ids].map((id) => readMeta(kv, id, log)));
  const running: ActiveStreamView[] = [];
  for (const [i, id] of [...ids].entries()) {
    const meta = metas[i];
    if (meta?.state !== 'running' || meta.ownerId !== ownerId) continue;
    const startedAt = new Date(meta.startedAt);
    running.push({
      streamId: id,
      model: meta.model,
      startedAt: Number.isNaN(startedAt.getTime()) ? new Date(0) : startedAt,
      conversationId: meta.conversationId,
      messageId: meta.messageId,
    });
  }
  running.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
  return running.slice(0, MAX_ACTIVE_STREAMS);
}

/**
 * The seq of a stream's newest entry (0 when empty), without reading the whole stream: "is there
 * an entry after k" is monotone in k, so a galloping then binary search needs about 2·log2(seq)
 * one-entry reads (~22 for a 2,000-token answer) instead of every entry.
 */
export async function lastSeqOf(kv: KvStore, streamId: string): Promise<number> {
  const stream = tokenStreamKey(streamId);
  /** The first seq after `k`, or undefined. */
  const firstAfter = async (k: number): Promise<number | undefined> => (await kv.read(stream, { after: k, count: 1 }))[0]?.seq;
  const first = await firstAfter(0);
  if (first === undefined) return 0;
  // Invariant: the last seq is >= low and, once an empty probe is found, <= high.
  let low = first;
  let high = first * 2;
  for (;;) {
    const next = await firstAfter(high);
    if (next === undefined) break;
    low = next;
    high = next * 2;
  }
  while (high - low > 0) {
    const mid = Math.floor((low + high + 1) / 2);
    const next = await firstAfter(mid - 1);
    if (next === undefined) high = mid - 1;
    else low = next;
  }
  return low;
}
