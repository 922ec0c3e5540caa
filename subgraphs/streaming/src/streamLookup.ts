import type { Logger } from '@chatgraph/kit';
import type { KvStore, StreamEntry } from '@chatgraph/kit/kv';
import {
  parseTokenStreamRequest,
  tokenStreamAppliedKey,
  tokenStreamKey,
  tokenStreamRequestKey,
  type TokenStreamRequest,
} from '@chatgraph/schema';
import { fromHead, fromMeta, readMeta, type StreamOwnership } from './ownership';

/**
 * Where a generation stands when a client subscribes, found without waiting (a few kv reads), so
 * only a generation known to be pending is waited for:
 * - `found`: its meta or its `start` entry names the owner (running, or done and still retained);
 * - `requested`: conversation recorded the request (`tokenStreamRequestKey`) but no stream exists;
 *   `ended` when conversation has also applied its outcome (the stream expired, or the generation
 *   failed before writing one), else it has not started yet;
 * - `unknown`: nothing names it (never requested, or so old that even the request record expired),
 *   or its stream has no `start` entry to prove an owner.
 */
export type StreamLookup =
  { kind: 'found'; ownership: StreamOwnership } | { kind: 'requested'; request: TokenStreamRequest; ended: boolean } | { kind: 'unknown' };

/** The request record of a generation, or `undefined` when missing or unreadable (logged). */
async function readRequest(kv: KvStore, streamId: string, log: Logger): Promise<TokenStreamRequest | undefined> {
  const raw = await kv.get(tokenStreamRequestKey(streamId));
  if (raw === null) return undefined;
  const request = parseTokenStreamRequest(raw);
  if (!request) log.error({ streamId }, 'token stream request record is not a TokenStreamRequest; ignoring it');
  return request;
}

/** Whether conversation has marked the generation's outcome applied. */
async function outcomeMarked(kv: KvStore, streamId: string): Promise<boolean> {
  return (await kv.read(tokenStreamAppliedKey(streamId), { count: 1 })).length > 0;
}

/** The ownership the stream's first entry proves; `unknown` for a head that is not a `start`. */
function headLookup(head: StreamEntry, streamId: string, log: Logger): StreamLookup {
  const ownership = fromHead(head, streamId, log);
  return ownership ? { kind: 'found', ownership } : { kind: 'unknown' };
}

/** Looks a generation up without waiting (see `StreamLookup`). */
export async function lookUpStream(kv: KvStore, streamId: string, log: Logger): Promise<StreamLookup> {
  const meta = await readMeta(kv, streamId, log);
  if (meta) return { kind: 'found', ownership: fromMeta(meta) };
  // The marker is read before the stream: a generation writes its `start` before any outcome, so
  // a marker seen first with no stream after it means the stream is gone (or never was), not that
  // it is about to start. Read the other way round, a generation starting and ending between the
  // two reads would look expired while its stream is still there.
  const ended = await outcomeMarked(kv, streamId);
  const [head] = await kv.read(tokenStreamKey(streamId), { count: 1 });
  if (head) return headLookup(head, streamId, log);
  const request = await readRequest(kv, streamId, log);
  return request ? { kind: 'requested', request, ended } : { kind: 'unknown' };
}

/** How the wait for a pending generation ended. */
export type StartWait = StreamLookup | { kind: 'timeout' } | { kind: 'aborted' };

/** The first entry of `follower`, or `undefined` when it ends first; always closes it. */
async function firstOf(follower: AsyncIterableIterator<StreamEntry>): Promise<StreamEntry | undefined> {
  try {
    const first = await follower.next();
    return first.done ? undefined : first.value;
  } finally {
    void follower.return?.();
  }
}

/**
 * Waits for a requested generation to show up: its `start` entry (then `found`), or conversation's
 * applied marker (the generation ended without a stream: `requested` and `ended`), at most
 * `waitMs`. Both are kv followers (no polling), both closed before returning.
 */
export async function waitForStart(
  kv: KvStore,
  request: TokenStreamRequest,
  options: { waitMs: number; signal: AbortSignal; log: Logger },
): Promise<StartWait> {
  const { streamId } = request;
  const waiting = new AbortController();
  const timer = setTimeout(() => waiting.abort(), options.waitMs);
  const signal = AbortSignal.any([waiting.signal, options.signal]);
  try {
    const started = firstOf(kv.follow(tokenStreamKey(streamId), { after: 0, signal })).then((head) =>
      head ? headLookup(head, streamId, options.log) : undefined,
    );
    const marked = firstOf(kv.follow(tokenStreamAppliedKey(streamId), { signal })).then(
      async (entry): Promise<StreamLookup | undefined> => {
        if (!entry) return undefined;
        // The outcome may be marked a moment before the stream is read: the stream wins if it exists.
        const [head] = await kv.read(tokenStreamKey(streamId), { count: 1 });
        return head ? headLookup(head, streamId, options.log) : { kind: 'requested', request, ended: true };
      },
    );
    // Whichever loses is abandoned (its follower ends below): its failure must not go unhandled.
    started.catch(() => undefined);
    marked.catch(() => undefined);
    const first = await Promise.race([started, marked]);
    if (first) return first;
    // The first to settle ended with nothing: the wait timed out or was aborted (both followers end).
    const other = await Promise.all([started, marked]).then(([a, b]) => a ?? b);
    if (other) return other;
    return options.signal.aborted ? { kind: 'aborted' } : { kind: 'timeout' };
  } finally {
    clearTimeout(timer);
    waiting.abort();
  }
}
