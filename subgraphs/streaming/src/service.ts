import type { GraphQLError } from 'graphql';
import { codedError, requireUser, type Logger, type Principal } from '@chatgraph/kit';
import type { KvStore } from '@chatgraph/kit/kv';
import { GENERATION_CONTROL_CHANNEL, tokenStreamKey, tokenStreamStopKey, type GenerationControl } from '@chatgraph/schema';
import { lastSeqOf, listActiveStreams, type ActiveStreamView } from './activeStreams';
import { ChunkStream } from './chunkStream';
import type { StreamChunkView } from './chunks';
import { DEFAULT_FINAL_CHUNK_WAIT_MS, waitForOutcomeApplied } from './outcomeApplied';
import type { StreamOwnership } from './ownership';
import { lookUpStream, waitForStart } from './streamLookup';
import { parseAfter, parseStreamId } from './streamArgs';
import { endSeen, watchEnded, watchStarted } from './watchers';

export interface StreamingServiceOptions {
  kv: KvStore;
  logger: Logger;
  /** How long `openStream` waits for a requested generation that has not started (STREAM_START_WAIT_MS). */
  startWaitMs: number;
  /** Expiry of the stop flag (STOP_REQUEST_TTL_MS). */
  stopRequestTtlMs: number;
  /** Told when a subscription opens (+1) or ends (-1), e.g. for a gauge. */
  onSubscriptionsChanged?(delta: 1 | -1): void;
  /** Told of chunks a reader missed because its stream was trimmed. */
  onGap?(missed: number): void;
  /**
   * Longest hold of a `done` chunk while conversation has not marked the outcome applied
   * (FINAL_CHUNK_WAIT_MS); after it the chunk goes out anyway. Default `DEFAULT_FINAL_CHUNK_WAIT_MS`.
   */
  finalChunkWaitMs?: number;
  /** Told of every `done` chunk released because the wait expired (the message may show stale). */
  onFinalChunkWaitExpired?(): void;
}

/** An iterator that ends at once: a finished generation the client has read to the end. */
const ended = (): AsyncIterableIterator<StreamChunkView> => ({
  [Symbol.asyncIterator]() {
    return this;
  },
  next: async () => ({ done: true, value: undefined }),
  return: async () => ({ done: true, value: undefined }),
});

/**
 * The rules of resumable token streams. Knows nothing of GraphQL transports: it reads the
 * streams ai-gateway writes in the `schema/events/tokenStreams.ts` format and hands out iterators.
 */
export class StreamingService {
  private readonly kv: KvStore;
  private readonly log: Logger;
  /** Aborted by `close()`: pending start waits and every open follower end. */
  private readonly closing = new AbortController();
  private readonly open = new Set<ChunkStream>();

  constructor(private readonly options: StreamingServiceOptions) {
    this.kv = options.kv;
    this.log = options.logger;
  }

  /** Subscriptions currently open on this instance. */
  get openSubscriptions(): number {
    return this.open.size;
  }

  /**
   * The chunks of `streamId` after `after`, replayed then live, ending after the `done` chunk.
   * Everything that can refuse the request (sign-in, arguments, ownership) is checked before the
   * iterator is returned, so a refusal is a proper error rather than a stream that fails.
   */
  async openStream(
    principal: Principal,
    streamIdArg: string,
    afterArg: number | null | undefined,
    log: Logger = this.log,
  ): Promise<AsyncIterableIterator<StreamChunkView>> {
    const user = requireUser({ principal });
    const streamId = parseStreamId(streamIdArg);
    const after = parseAfter(afterArg);
    const ownership = await this.ownershipFor(user.userId, streamId, log);
    // A finished generation read to its end: nothing will ever come, so complete at once.
    if (ownership.state === 'done' && (await this.kv.read(tokenStreamKey(streamId), { after, count: 1 })).length === 0) return ended();

    // Counted before the iterator is handed out, so a generation ending from now on sees a watcher.
    await watchStarted(this.kv, streamId);
    const follower = this.kv.follow(tokenStreamKey(streamId), { after, signal: this.closing.signal });
    const stream: ChunkStream = new ChunkStream(follower, {
      streamId,
      after,
      messageId: ownership.messageId,
      log,
      onEnd: () => {
        if (this.open.delete(stream)) this.options.onSubscriptionsChanged?.(-1);
        watchEnded(this.kv, streamId).catch((err: unknown) => log.warn({ streamId, err }, 'could not count a watcher leaving'));
      },
      onDoneRead: () => endSeen(this.kv, streamId).catch((err: unknown) => log.warn({ streamId, err }, 'could not record the end seen')),
      onGap: this.options.onGap,
      beforeDone: (signal) => this.awaitOutcomeApplied(streamId, signal, log),
    });
    this.open.add(stream);
    this.options.onSubscriptionsChanged?.(1);
    return stream;
  }

  /**
   * Who owns `streamId`, checked against `userId`, answering at once unless the generation is
   * known to be pending (requested by conversation, not started yet): only then is its `start`
   * waited for, up to `startWaitMs`. An unknown id is NOT_FOUND at once; a generation that ended
   * and whose stream expired is NOT_FOUND with `reason: STREAM_ENDED` (and its `messageId`, which
   * the client reads instead); another user's is FORBIDDEN, pending or not.
   */
  private async ownershipFor(userId: string, streamId: string, log: Logger): Promise<StreamOwnership> {
    const shuttingDown = (): GraphQLError => codedError('UNAVAILABLE', 'The streaming service is shutting down; subscribe again');
    if (this.closing.signal.aborted) throw shuttingDown();
    let found = await lookUpStream(this.kv, streamId, log);
    if (found.kind === 'requested') {
      if (found.request.ownerId !== userId) throw codedError('FORBIDDEN', 'This generation belongs to another user');
      if (!found.ended) {
        const waited = await waitForStart(this.kv, found.request, { waitMs: this.options.startWaitMs, signal: this.closing.signal, log });
        if (waited.kind === 'aborted') throw shuttingDown();
        if (waited.kind === 'timeout')
          throw codedError('NOT_FOUND', 'This generation has not started yet; subscribe again later or read the message', {
            reason: 'NOT_STARTED',
            messageId: found.request.messageId,
          });
        found = waited;
      }
    }
    if (this.closing.signal.aborted) throw shuttingDown();
    switch (found.kind) {
      case 'unknown':
        throw codedError('NOT_FOUND', 'No such generation', { reason: 'UNKNOWN_STREAM' });
      case 'requested':
        if (found.request.ownerId !== userId) throw codedError('FORBIDDEN', 'This generation belongs to another user');
        throw codedError('NOT_FOUND', 'This generation has ended and its stream has expired; read the message instead', {
          reason: 'STREAM_ENDED',
          messageId: found.request.messageId,
        });
      case 'found':
        if (found.ownership.ownerId !== userId) throw codedError('FORBIDDEN', 'This generation belongs to another user');
        return found.ownership;
    }
  }

  /**
   * Holds a `done` chunk until conversation has applied the outcome (so the router hydrates the
   * finished message on it), at most `finalChunkWaitMs`, which is long enough to wait out an
   * outage of conversation or of what it needs (outcomeApplied.ts says why); a timeout or a kv
   * failure releases it, counted and logged.
   */
  private async awaitOutcomeApplied(streamId: string, signal: AbortSignal, log: Logger): Promise<void> {
    const timeoutMs = this.options.finalChunkWaitMs ?? DEFAULT_FINAL_CHUNK_WAIT_MS;
    try {
      const result = await waitForOutcomeApplied(this.kv, streamId, { timeoutMs, signal: AbortSignal.any([signal, this.closing.signal]) });
      if (result !== 'timeout') return;
      log.warn(
        { streamId, waitedMs: timeoutMs },
        'outcome not marked applied by conversation in time: final chunk released, its message may still show the old state',
      );
    } catch (err) {
      log.warn({ streamId, err }, 'could not wait for the applied outcome: final chunk released');
    }
    this.options.onFinalChunkWaitExpired?.();
  }

  /**
   * Asks whichever instance runs the generation to stop it: the stop flag first (a generation not
   * yet started, or an instance that missed the message, sees it when it looks), then the control
   * message (pub/sub reaches every ai-gateway instance at once). A generation conversation
   * recorded as requested but not started yet is stopped the same way (ai-gateway reads the flag
   * before it calls the provider). `false` when already ended (also when its stream expired).
   */
  async stopGeneration(principal: Principal, streamIdArg: string): Promise<boolean> {
    const user = requireUser({ principal });
    const streamId = parseStreamId(streamIdArg);
    const found = await lookUpStream(this.kv, streamId, this.log);
    if (found.kind === 'unknown') throw codedError('NOT_FOUND', 'No such generation', { reason: 'UNKNOWN_STREAM' });
    const ownerId = found.kind === 'found' ? found.ownership.ownerId : found.request.ownerId;
    if (ownerId !== user.userId) throw codedError('FORBIDDEN', 'This generation belongs to another user');
    if (found.kind === 'found' ? found.ownership.state === 'done' : found.ended) return false;
    const control: GenerationControl = { type: 'stop', streamId, requestedBy: user.userId };
    const message = JSON.stringify(control);
    await this.kv.set(tokenStreamStopKey(streamId), message, { ttlMs: this.options.stopRequestTtlMs });
    await this.kv.publish(GENERATION_CONTROL_CHANNEL, message);
    this.log.info({ streamId, userId: user.userId }, 'generation stop requested');
    return true;
  }

  /** The caller's running generations, newest first (bounded). */
  async activeStreams(principal: Principal): Promise<ActiveStreamView[]> {
    const user = requireUser({ principal });
    return listActiveStreams(this.kv, user.userId, this.log);
  }

  /** The newest seq of a stream the caller was already shown (from `activeStreams`). */
  lastSeq(streamId: string): Promise<number> {
    return lastSeqOf(this.kv, streamId);
  }

  /** Ends pending start waits and every open subscription (they complete). Safe to call twice. */
  close(): void {
    this.closing.abort();
    for (const stream of [...this.open]) void stream.return();
  }
}
