/**
 * What the fault-injection suite checks once the faults are over: every acknowledged message is
 * stored (the user's message and its assistant answer), no answer stays `PENDING`/`STREAMING`,
 * every followed stream is whole (seq 1..n, no gap, no duplicate, `done` last) and its `done`
 * chunk carries the finished message, counted per fault.
 */
import { gql, streamed, watch, wsClient, type Chunk } from '../liveChatScenarios';
import type { Ack, Followed } from './chatLoad';

interface StoredMessage {
  id: string;
  role: string;
  status: string;
  content: string;
}

/** Where one acknowledged send stands after the faults. */
export interface Outcome {
  ack: Ack;
  /** Both the user's message and the assistant answer are in the conversation. */
  present: boolean;
  /** The assistant answer's status (undefined when it is missing). */
  status?: string;
}

const OPEN = ['PENDING', 'STREAMING'];
/** Unref'd: a timeout raced against a reply must not keep jest waiting once the suite is done. */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

async function readOutcome(url: string, ack: Ack): Promise<Outcome> {
  const res = await gql<{ conversation: { currentBranch: StoredMessage[] } | null }>(
    url,
    ack.token,
    'query($id: ID!) { conversation(id: $id) { currentBranch { id role status content } } }',
    { id: ack.conversationId },
  );
  const branch = res.data?.conversation?.currentBranch ?? [];
  const user = branch.find((m) => m.role === 'USER' && m.content === ack.content);
  const answer = branch.find((m) => m.id === ack.assistantMessageId);
  return { ack, present: user !== undefined && answer !== undefined, status: answer?.status };
}

const settled = (o: Outcome): boolean => o.present && o.status !== undefined && !OPEN.includes(o.status);

/**
 * Reads every acknowledged send until all are present and final, or `timeoutMs` passed (a slow
 * recovery is waited for; only what is still missing or open at the end counts against it).
 */
export async function settleOutcomes(url: () => string, acks: Ack[], timeoutMs: number): Promise<Outcome[]> {
  const outcomes = new Map<Ack, Outcome>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = acks.filter((ack) => !settled(outcomes.get(ack) ?? { ack, present: false }));
    // Ten reads at a time: a few hundred sequential round trips would eat the settle time.
    for (let i = 0; i < open.length; i += 10) {
      await Promise.all(
        open.slice(i, i + 10).map(async (ack) => {
          try {
            outcomes.set(ack, await readOutcome(url(), ack));
          } catch {
            // A read that failed says nothing: read again next round.
          }
        }),
      );
    }
    if (acks.every((ack) => settled(outcomes.get(ack) ?? { ack, present: false })) || Date.now() > deadline) break;
    await sleep(1000);
  }
  return acks.map((ack) => outcomes.get(ack) ?? { ack, present: false });
}

/** Seqs 1..n in order (no gap, no duplicate), only the last chunk `done`. */
export function wellFormed(chunks: Chunk[]): boolean {
  return chunks.length > 0 && chunks.every((c, i) => c.seq === i + 1 && c.done === (i === chunks.length - 1));
}

/** The stream read again from its start, through `url`: what a resumed client must have got. */
export async function readWhole(url: string, ack: Ack, timeoutMs: number): Promise<Chunk[]> {
  const client = wsClient(url, ack.token);
  const stream = watch(client, ack.streamId);
  await Promise.race([stream.ended, sleep(timeoutMs)]);
  stream.stop();
  await client.dispose();
  return stream.chunks;
}

/** Whether a resumed stream's chunks are exactly the stream's (what each chunk itself carries). */
export function sameStream(received: Chunk[], whole: Chunk[]): boolean {
  return JSON.stringify(streamed(received)) === JSON.stringify(streamed(whole));
}

/** The first chunk where a resumed stream and the stream read again differ, for the CI log. */
export function describeDifference(received: Chunk[], whole: Chunk[]): string {
  const [a, b] = [streamed(received), streamed(whole)];
  const at = a.findIndex((chunk, i) => JSON.stringify(chunk) !== JSON.stringify(b[i]));
  const i = at === -1 ? Math.min(a.length, b.length) : at;
  return `${a.length} chunks received, ${b.length} read again; first difference at #${i + 1}: received ${JSON.stringify(a[i] ?? null)}, read again ${JSON.stringify(b[i] ?? null)}`;
}

/** The figures printed per fault. */
export interface PhaseCounts {
  phase: string;
  acknowledged: number;
  presentAfter: number;
  stuck: number;
  /** Sends that were refused or lost during the fault (never acknowledged, so never promised). */
  unacknowledged: number;
  /** Answers whose status is COMPLETE / FAILED / ABORTED. */
  complete: number;
  failed: number;
  streamsFollowed: number;
  /** Streams resumed mid-way with `after` (at least once). */
  streamsResumed: number;
  /** Streams with a gap, a duplicate seq, or no `done` chunk. */
  streamsBroken: number;
  /** `done` chunks whose `message` is missing or not yet the finished one (status other than the chunk's). */
  staleFinal: number;
}

/** Whether a stream's `done` chunk carries its finished message (the contract of docs/subscriptions.md). */
export function finalIsFresh(chunks: Chunk[]): boolean {
  const last = chunks.at(-1);
  if (!last?.done) return true;
  return last.message !== null && last.message.status === last.status;
}

export function countPhase(phase: string, outcomes: Outcome[], followed: Followed[], unacknowledged: number): PhaseCounts {
  const mine = outcomes.filter((o) => o.ack.phase === phase);
  const streams = followed.filter((f) => f.ack.phase === phase);
  return {
    phase,
    acknowledged: mine.length,
    presentAfter: mine.filter((o) => o.present).length,
    stuck: mine.filter((o) => o.status !== undefined && OPEN.includes(o.status)).length,
    unacknowledged,
    complete: mine.filter((o) => o.status === 'COMPLETE').length,
    failed: mine.filter((o) => o.status === 'FAILED').length,
    streamsFollowed: streams.length,
    streamsResumed: streams.filter((f) => f.resumes > 0).length,
    streamsBroken: streams.filter((f) => !wellFormed(f.chunks)).length,
    staleFinal: streams.filter((f) => !finalIsFresh(f.chunks)).length,
  };
}
