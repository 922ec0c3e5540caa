import type { Logger } from '@chatgraph/kit';
import type { StreamEntry } from '@chatgraph/kit/kv';
import { decodeTokenStreamEntry } from '@chatgraph/schema';
import { chunkOf, type StreamChunkView } from './chunks';

const DONE: IteratorResult<StreamChunkView> = Object.freeze({ done: true, value: undefined });

export interface ChunkStreamOptions {
  streamId: string;
  /** The client's `after`: chunks start at `after + 1`. */
  after: number;
  /** The assistant message, named on the final chunk. */
  messageId: string;
  log: Logger;
  /** Called once when the stream ends, whichever way (done chunk, `return()`, follower ended). */
  onEnd(): void;
  /** Called for every seq jump (entries trimmed before this reader got them). */
  onGap?(missed: number): void;
  /**
   * Awaited before the `done` chunk is handed out (streaming waits for the owner to apply the
   * outcome there: outcomeApplied.ts). `signal` aborts when the stream ends meanwhile. Must not throw.
   */
  beforeDone?(signal: AbortSignal): Promise<void>;
  /**
   * Awaited as soon as the `done` entry is read, before `beforeDone` and before `onEnd` (streaming
   * records there that the owner saw the end: watchers.ts). Must not throw.
   */
  onDoneRead?(): Promise<void>;
}

/**
 * The chunks of one `messageStream` subscription over a kv follower. Written by hand rather than
 * as an async generator for the same reason as the kit's follower: a generator's `return()` waits
 * for its pending `await`, and a client closing a subscription on an idle stream must release the
 * follower (and its Redis reader) at once. It ends after the `done` chunk.
 *
 * A seq jump (the stream was trimmed below the client's position, e.g. a client resuming very
 * late) is logged and the stream continues from what exists: the client notices the jump in
 * `seq` and the full text is in the message once it completes. An entry that does not decode is
 * logged and skipped rather than ending a generation the user is watching.
 */
export class ChunkStream implements AsyncIterableIterator<StreamChunkView> {
  private finished = false;
  private expected: number;
  /** Aborted by `finish()`: ends a `beforeDone` wait when the client goes away. */
  private readonly ending = new AbortController();

  constructor(
    private readonly follower: AsyncIterableIterator<StreamEntry>,
    private readonly options: ChunkStreamOptions,
  ) {
    this.expected = options.after + 1;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<StreamChunkView>> {
    while (!this.finished) {
      let result: IteratorResult<StreamEntry>;
      try {
        result = await this.follower.next();
      } catch (error) {
        // The store failed under the follower (Redis gone for good): the subscription ends with the error.
        this.finish();
        throw error;
      }
      if (result.done) break;
      const chunk = this.chunkOf(result.value);
      if (!chunk) continue;
      if (chunk.done) {
        await this.options.onDoneRead?.();
        await this.options.beforeDone?.(this.ending.signal);
        this.finish();
      }
      return { done: false, value: chunk };
    }
    this.finish();
    return DONE;
  }

  async return(): Promise<IteratorResult<StreamChunkView>> {
    this.finish();
    return DONE;
  }

  private chunkOf(entry: StreamEntry): StreamChunkView | undefined {
    const { streamId, log } = this.options;
    if (entry.seq > this.expected) {
      log.warn({ streamId, expected: this.expected, got: entry.seq }, 'token stream trimmed below the reader: chunks skipped');
      this.options.onGap?.(entry.seq - this.expected);
    }
    this.expected = entry.seq + 1;
    try {
      return chunkOf(streamId, entry.seq, decodeTokenStreamEntry(entry.fields), this.options.messageId);
    } catch (error) {
      log.error({ streamId, seq: entry.seq, err: error }, 'skipping a token stream entry that does not decode');
      return undefined;
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.ending.abort();
    void this.follower.return?.();
    this.options.onEnd();
  }
}
