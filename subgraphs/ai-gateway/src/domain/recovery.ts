import type { Logger } from '@chatgraph/kit';
import { updateWithOutbox } from '@chatgraph/kit/events';
import type { KvStore } from '@chatgraph/kit/kv';
import { decodeTokenStreamEntry, tokenStreamKey } from '@chatgraph/schema';
import { generationFailed } from '../outboxEvents';
import { OPEN_GENERATION, type AiGatewayCollections, type GenerationDoc } from '../store';
import { TokenStreamWriter, writeDoneMeta } from '../tokenStreamWriter';

/**
 * Ends generations whose instance died. Every running generation's lease is renewed by its
 * instance's heartbeat; any instance's sweep fails those whose lease expired: the partial text is
 * read back from the token stream, the outcome and `generation.failed` go in the document
 * (guarded by "still open and still expired", so one sweeper wins and a live runner is never
 * overruled), then the stream gets its `done` entry so readers stop waiting.
 */

export interface LeaseSweepDeps {
  kv: KvStore;
  collections: AiGatewayCollections;
  logger: Logger;
  now: () => Date;
  stream: { maxLen: number; retentionMs: number };
  eventsQueued: () => void;
  /** How long an ended generation may lack its `done` entry before the sweep writes it. */
  leaseMs: number;
  /** Generations this instance runs (never swept by it, whatever their lease says). */
  isLocal: (streamId: string) => boolean;
}

/** The text of every delta still in the stream, in order. */
async function partialText(kv: KvStore, streamId: string): Promise<{ text: string; empty: boolean }> {
  const entries = await kv.read(tokenStreamKey(streamId));
  let text = '';
  for (const entry of entries) {
    const decoded = decodeTokenStreamEntry(entry.fields);
    if (decoded.type === 'delta') text += decoded.delta;
  }
  return { text, empty: entries.length === 0 };
}

/** Fails one expired generation; resolves whether this call ended it. */
export async function failExpiredGeneration(deps: LeaseSweepDeps, doc: GenerationDoc): Promise<boolean> {
  const now = deps.now();
  const { text, empty } = await partialText(deps.kv, doc.streamId);
  const error = 'the generation was interrupted: its instance stopped responding';
  const event = generationFailed(doc, { error, text, finishReason: 'interrupted' });
  const applied = await deps.collections.generations.updateOne(
    { _id: doc._id, ...OPEN_GENERATION, leaseUntil: { $lt: now } },
    updateWithOutbox({ $set: { state: 'done', outcome: 'FAILED', finishReason: 'interrupted', endedAt: now } }, [event]),
  );
  if (applied.modifiedCount === 0) return false;
  deps.eventsQueued();
  const writer = new TokenStreamWriter({
    kv: deps.kv,
    streamId: doc.streamId,
    ownerId: doc.ownerId,
    conversationId: doc.conversationId,
    messageId: doc.messageId,
    model: doc.model,
    maxLen: deps.stream.maxLen,
    retentionMs: deps.stream.retentionMs,
    now: deps.now,
  });
  // A generation that died before its first write still gets a well-formed stream (start, done).
  if (empty) await writer.start();
  await writer.finish({ outcome: 'FAILED', finishReason: 'interrupted', error });
  await deps.collections.generations.updateOne({ _id: doc._id }, { $set: { streamClosed: true } });
  deps.logger.warn({ streamId: doc.streamId, instanceId: doc.instanceId }, 'failed a generation whose lease expired');
  return true;
}

/**
 * Writes the missing `done` entry of a generation whose outcome is recorded but whose instance
 * died before closing the stream (the outcome is written first, so this window exists).
 */
export async function closeStream(deps: LeaseSweepDeps, doc: GenerationDoc): Promise<void> {
  const entries = await deps.kv.read(tokenStreamKey(doc.streamId));
  const closed = entries.some((e) => e.fields.type === 'done');
  const outcome = doc.outcome ?? 'FAILED';
  const finishReason = doc.finishReason ?? 'error';
  if (!closed) {
    const writer = new TokenStreamWriter({
      kv: deps.kv,
      streamId: doc.streamId,
      ownerId: doc.ownerId,
      conversationId: doc.conversationId,
      messageId: doc.messageId,
      model: doc.model,
      maxLen: deps.stream.maxLen,
      retentionMs: deps.stream.retentionMs,
      now: deps.now,
    });
    if (entries.length === 0) await writer.start();
    await writer.finish({ outcome, finishReason });
  } else {
    // `done` made it but the meta (and TTLs) may not have: readers would list it as running.
    await writeDoneMeta(
      deps.kv,
      doc.streamId,
      undefined,
      { outcome, finishReason, endedAt: doc.endedAt ?? deps.now() },
      deps.stream.retentionMs,
    );
  }
  await deps.collections.generations.updateOne({ _id: doc._id }, { $set: { streamClosed: true } });
}

/** Generations of one pass ended at once (each is a few store and kv round trips). */
const SWEEP_CONCURRENCY = 16;

/** Runs `work` on every item, at most `limit` at a time; resolves once all settled. */
async function eachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * One sweep: fails up to `limit` expired generations of other instances, and closes the streams
 * of ended generations left without their `done` entry; resolves how many generations it ended.
 * The generations of a pass are handled concurrently: a dead instance leaves all of its
 * generations expired at once, and ending them one after the other (several round trips each)
 * left the last of them open for many lease lengths.
 */
export async function sweepExpiredLeases(deps: LeaseSweepDeps, limit = 50): Promise<number> {
  const stale = new Date(deps.now().getTime() - deps.leaseMs);
  const unclosed = await deps.collections.generations.find({ state: 'done', streamClosed: false, endedAt: { $lt: stale } }, { limit });
  await eachBounded(
    unclosed.filter((doc) => !deps.isLocal(doc.streamId)),
    SWEEP_CONCURRENCY,
    async (doc) => {
      try {
        await closeStream(deps, doc);
        deps.logger.warn({ streamId: doc.streamId }, 'closed the stream of an ended generation whose instance stopped before writing done');
      } catch (error) {
        deps.logger.warn({ err: error, streamId: doc.streamId }, "could not close an ended generation's stream; next sweep retries");
      }
    },
  );

  const expired = await deps.collections.generations.find(
    { ...OPEN_GENERATION, leaseUntil: { $lt: deps.now() } },
    { limit, sort: { leaseUntil: 1 } },
  );
  let ended = 0;
  await eachBounded(
    expired.filter((doc) => !deps.isLocal(doc.streamId)),
    SWEEP_CONCURRENCY,
    async (doc) => {
      try {
        if (await failExpiredGeneration(deps, doc)) ended++;
      } catch (error) {
        deps.logger.warn({ err: error, streamId: doc.streamId }, 'could not fail an expired generation; next sweep retries');
      }
    },
  );
  return ended;
}
