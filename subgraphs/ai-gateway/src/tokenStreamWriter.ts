import {
  encodeTokenStreamEntry,
  ownerStreamsKey,
  tokenStreamKey,
  tokenStreamMetaKey,
  type TokenStreamEntry,
  type TokenStreamMeta,
  type TokenStreamOutcome,
  type TokenUsage,
} from '@chatgraph/schema';
import type { KvStore } from '@chatgraph/kit/kv';

/**
 * The single writer of one generation's token stream (format: schema/events/tokenStreams.ts).
 * Deltas are appended in order by one loop; tokens that arrive while an append is in flight are
 * coalesced into the next entry, so a fast provider never queues thousands of tiny appends and a
 * slow kv never reorders text. The stream is bounded (`maxLen`) and both keys get the retention
 * TTL when the generation ends.
 */

export interface TokenStreamWriterOptions {
  kv: KvStore;
  streamId: string;
  ownerId: string;
  conversationId: string;
  messageId: string;
  model: string;
  maxLen: number;
  retentionMs: number;
  /** Entries kept in the owner's index of generations. */
  ownerIndexMaxLen?: number;
  now?: () => Date;
}

/** A `tool` entry of the stream (a tool loop's call starting or ending). */
export type ToolStreamEntry = Extract<TokenStreamEntry, { type: 'tool' }>;

export class TokenStreamWriter {
  /** Text not appended yet (coalesced), then the entries queued after it, in order. */
  private pending = '';
  private readonly queued: Array<{ before: string; entry: ToolStreamEntry }> = [];
  private flushing: Promise<void> | undefined;
  private failure: unknown;
  private meta: TokenStreamMeta | undefined;
  private ready: Promise<void> = Promise.resolve();
  private started: Promise<void> = Promise.resolve();
  /** Opened by `start()`: deltas pushed before it wait, so the `start` entry is always seq 1. */
  private readonly gate: Promise<void>;
  private openGate: () => void = () => undefined;
  private readonly now: () => Date;

  constructor(private readonly options: TokenStreamWriterOptions) {
    this.now = options.now ?? (() => new Date());
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  private get key(): string {
    return tokenStreamKey(this.options.streamId);
  }

  /**
   * Writes the `start` entry, the meta (state running) and the owner index entry. Deltas pushed
   * before it resolves wait for the `start` entry, so a caller may start the provider call at once.
   */
  start(): Promise<void> {
    const { kv, streamId, ownerId, conversationId, messageId, model, maxLen, retentionMs } = this.options;
    const entry: TokenStreamEntry = { type: 'start', ownerId, conversationId, messageId, model };
    this.meta = { streamId, ownerId, conversationId, messageId, model, state: 'running', startedAt: this.now().toISOString() };
    const ready = Promise.all([
      kv.set(tokenStreamMetaKey(streamId), JSON.stringify(this.meta)),
      kv.append(this.key, encodeTokenStreamEntry(entry), { maxLen }),
    ]);
    const index = ownerStreamsKey(ownerId);
    const indexed = (async () => {
      await kv.append(index, { streamId }, { maxLen: this.options.ownerIndexMaxLen ?? 100 });
      // The index outlives each generation by the retention time, refreshed by every new one.
      await kv.expire(index, retentionMs);
    })();
    this.started = Promise.all([ready, indexed]).then(() => undefined);
    // Deltas wait only for the `start` entry; a failure is reported by `start()` and `finish()`.
    this.ready = ready.then(
      () => undefined,
      () => undefined,
    );
    this.openGate();
    return this.started;
  }

  /** Queues a delta; returns at once (appends happen in order in the background). */
  push(delta: string): void {
    if (delta.length === 0) return;
    this.pending += delta;
    this.flushing ??= this.drain();
  }

  /**
   * Queues a tool entry after the text pushed so far (a tool call is shown where it happened in
   * the answer); returns at once.
   */
  pushTool(entry: ToolStreamEntry): void {
    this.queued.push({ before: this.pending, entry });
    this.pending = '';
    this.flushing ??= this.drain();
  }

  private async append(entry: TokenStreamEntry): Promise<void> {
    try {
      await this.options.kv.append(this.key, encodeTokenStreamEntry(entry), { maxLen: this.options.maxLen });
    } catch (error) {
      // Remember it: `finish` reports it, the generation's outcome is still written.
      this.failure = error;
    }
  }

  private async drain(): Promise<void> {
    try {
      await this.gate;
      await this.ready;
      while ((this.queued.length > 0 || this.pending.length > 0) && this.failure === undefined) {
        const next = this.queued.shift();
        if (next) {
          if (next.before.length > 0) await this.append({ type: 'delta', delta: next.before });
          if (this.failure === undefined) await this.append(next.entry);
          continue;
        }
        const delta = this.pending;
        this.pending = '';
        await this.append({ type: 'delta', delta });
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Waits until every queued delta is appended. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** An append that failed, if any (the stream then misses text the event has). */
  get appendFailure(): unknown {
    return this.failure;
  }

  /** Appends the `done` entry, marks the meta done and sets the retention TTL on stream and meta. */
  async finish(done: { outcome: TokenStreamOutcome; finishReason: string; usage?: TokenUsage; error?: string }): Promise<void> {
    await this.started;
    await this.flush();
    const { kv, streamId, maxLen, retentionMs } = this.options;
    await kv.append(this.key, encodeTokenStreamEntry({ type: 'done', ...done }), { maxLen });
    await writeDoneMeta(
      kv,
      streamId,
      this.meta,
      { outcome: done.outcome, finishReason: done.finishReason, endedAt: this.now() },
      retentionMs,
    );
  }
}

/** Marks the meta done (reading it when not given) and expires stream and meta after `retentionMs`. */
export async function writeDoneMeta(
  kv: KvStore,
  streamId: string,
  meta: TokenStreamMeta | undefined,
  end: { outcome: TokenStreamOutcome; finishReason: string; endedAt: Date },
  retentionMs: number,
): Promise<void> {
  let current = meta;
  if (!current) {
    const raw = await kv.get(tokenStreamMetaKey(streamId));
    current = raw ? (JSON.parse(raw) as TokenStreamMeta) : undefined;
  }
  if (current) {
    const updated: TokenStreamMeta = {
      ...current,
      state: 'done',
      endedAt: end.endedAt.toISOString(),
      outcome: end.outcome,
      finishReason: end.finishReason,
    };
    await kv.set(tokenStreamMetaKey(streamId), JSON.stringify(updated), { ttlMs: retentionMs });
  }
  await kv.expire(tokenStreamKey(streamId), retentionMs);
}
