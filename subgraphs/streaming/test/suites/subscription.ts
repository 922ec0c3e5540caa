import { tokenStreamKey } from '@chatgraph/schema';
import { eventually, textOf, userPrincipal, type Chunk, type Harness, type Target } from '../harness';

const alice = userPrincipal('alice');
const usage = { promptTokens: 12, completionTokens: 3, totalTokens: 15 };

const seqs = (chunks: readonly Chunk[]): number[] => chunks.map((c) => c.seq);

/** Replay, resume, live delivery, ordering and ends of `messageStream` over a real graphql-ws client. */
export function describeSubscription(target: Target): void {
  let h: Harness;
  beforeAll(async () => {
    h = await target.start({ STREAM_START_WAIT_MS: '300' });
  });
  afterAll(() => h.dispose());

  it('replays a finished generation from the start: start chunk, deltas, done chunk, then completes', async () => {
    const g = h.generation('alice');
    await g.start();
    await g.delta('Hel');
    await g.delta('lo');
    await g.done('COMPLETE', { usage });

    const sub = await h.subscribe(alice, g.streamId).ended();
    expect(sub.errors).toBeUndefined();
    expect(sub.completed).toBe(true);
    expect(sub.chunks).toEqual([
      {
        streamId: g.streamId,
        seq: 1,
        delta: '',
        done: false,
        finishReason: null,
        usage: null,
        status: null,
        error: null,
        message: { id: g.messageId },
      },
      {
        streamId: g.streamId,
        seq: 2,
        delta: 'Hel',
        done: false,
        finishReason: null,
        usage: null,
        status: null,
        error: null,
        message: null,
      },
      { streamId: g.streamId, seq: 3, delta: 'lo', done: false, finishReason: null, usage: null, status: null, error: null, message: null },
      {
        streamId: g.streamId,
        seq: 4,
        delta: '',
        done: true,
        finishReason: 'STOP',
        usage,
        status: 'COMPLETE',
        error: null,
        message: { id: g.messageId },
      },
    ]);
  });

  it('delivers live chunks as they are appended and completes after done', async () => {
    const g = h.generation('alice');
    await g.start();
    const sub = h.subscribe(alice, g.streamId);
    await sub.until((s) => s.chunks.length === 1);
    await g.delta('a');
    await sub.until((s) => s.chunks.length === 2);
    expect(sub.completed).toBe(false);
    await g.delta('b');
    await g.done('COMPLETE');
    await sub.ended();
    expect(sub.completed).toBe(true);
    expect(seqs(sub.chunks)).toEqual([1, 2, 3, 4]);
    expect(textOf(sub.chunks)).toBe('ab');
  });

  it('resumes with `after` mid-stream: exactly the missed chunks, then the live ones', async () => {
    const g = h.generation('alice');
    await g.start();
    for (const t of ['one ', 'two ', 'three ']) await g.delta(t); // seqs 2..4
    const sub = h.subscribe(alice, g.streamId, 2);
    await sub.until((s) => s.chunks.length === 2);
    expect(seqs(sub.chunks)).toEqual([3, 4]);
    await g.delta('four');
    await g.done('COMPLETE');
    await sub.ended();
    expect(seqs(sub.chunks)).toEqual([3, 4, 5, 6]);
    expect(textOf(sub.chunks)).toBe('two three four');
    // The start chunk was not replayed, but the final chunk still names the message.
    expect(sub.chunks[3]?.message).toEqual({ id: g.messageId });
  });

  it('keeps seq order with no gap or duplicate under concurrent appends', async () => {
    const g = h.generation('alice');
    await g.start();
    const sub = h.subscribe(alice, g.streamId);
    await sub.until((s) => s.chunks.length === 1);
    const written = new Map<number, string>();
    await Promise.all(
      Array.from({ length: 120 }, async (_, i) => {
        const text = `t${i};`;
        written.set(await g.delta(text), text);
      }),
    );
    const doneSeq = await g.done('COMPLETE');
    await sub.ended();
    expect(seqs(sub.chunks)).toEqual(Array.from({ length: doneSeq }, (_, i) => i + 1));
    for (const chunk of sub.chunks.slice(1, -1)) expect(chunk.delta).toBe(written.get(chunk.seq));
  });

  it('gives every subscriber of one stream the same chunks', async () => {
    const g = h.generation('alice');
    await g.start();
    const first = h.subscribe(alice, g.streamId);
    const second = h.subscribe(alice, g.streamId, 1);
    await first.until((s) => s.chunks.length === 1);
    for (let i = 0; i < 10; i++) await g.delta(`${i}`);
    await g.done('ABORTED');
    await Promise.all([first.ended(), second.ended()]);
    expect(textOf(first.chunks)).toBe('0123456789');
    expect(second.chunks).toEqual(first.chunks.slice(1));
    expect(first.chunks.at(-1)).toMatchObject({ done: true, status: 'ABORTED', finishReason: 'ABORTED' });
  });

  it('ends a failed generation with status FAILED and its error', async () => {
    const g = h.generation('alice');
    await g.start();
    await g.delta('partial');
    await g.done('FAILED', { error: 'The provider stopped answering' });
    const sub = await h.subscribe(alice, g.streamId).ended();
    expect(sub.chunks.at(-1)).toEqual({
      streamId: g.streamId,
      seq: 3,
      delta: '',
      done: true,
      finishReason: 'ERROR',
      usage: null,
      status: 'FAILED',
      error: 'The provider stopped answering',
      message: { id: g.messageId },
    });
    expect(sub.completed).toBe(true);
  });

  it('completes at once when resuming a finished generation after its last chunk', async () => {
    const g = h.generation('alice');
    await g.start();
    await g.delta('x');
    const doneSeq = await g.done('COMPLETE');
    const sub = await h.subscribe(alice, g.streamId, doneSeq).ended();
    expect(sub.errors).toBeUndefined();
    expect(sub.completed).toBe(true);
    expect(sub.chunks).toEqual([]);
    expect(h.kv.openFollowers).toBe(0);
  });

  it('waits for a generation that has not started, then delivers everything', async () => {
    const waiting = await target.start({ STREAM_START_WAIT_MS: '60000' });
    try {
      const early = waiting.generation('alice');
      await early.request();
      const sub = waiting.subscribe(alice, early.streamId);
      // The subscription is waiting on the (still empty) stream, and on the applied marker, before anything is written.
      await eventually(
        () => waiting.kv.openFollowers,
        (n) => n === 2,
      );
      expect(waiting.kv.openFollowers).toBe(2);
      // No meta yet: ownership comes from the start entry alone.
      await early.start({ withMeta: false });
      await early.delta('late ');
      await early.delta('but complete');
      await early.done('COMPLETE', { usage });
      await sub.ended();
      expect(sub.errors).toBeUndefined();
      expect(seqs(sub.chunks)).toEqual([1, 2, 3, 4]);
      expect(textOf(sub.chunks)).toBe('late but complete');
      expect(sub.chunks[0]?.message).toEqual({ id: early.messageId });
      expect(sub.chunks[3]).toMatchObject({ done: true, status: 'COMPLETE', usage, message: { id: early.messageId } });
    } finally {
      await waiting.dispose();
    }
  });

  it('answers NOT_FOUND (NOT_STARTED) when a requested generation never starts within STREAM_START_WAIT_MS, leaving no follower', async () => {
    const g = h.generation('alice');
    await g.request();
    const sub = await h.subscribe(alice, g.streamId).ended();
    expect(sub.code).toBe('NOT_FOUND');
    expect(sub.errors?.[0]?.extensions).toMatchObject({ reason: 'NOT_STARTED', messageId: g.messageId });
    expect(sub.chunks).toEqual([]);
    expect(h.kv.openFollowers).toBe(0);
  });

  it('continues from what exists when the stream was trimmed below `after`, counting the skipped chunks', async () => {
    const g = h.generation('alice');
    await g.start();
    for (let i = 1; i <= 9; i++) await g.delta(`${i}`); // seqs 2..10
    await h.kv.trim(tokenStreamKey(g.streamId), 3); // seqs 8..10 remain
    const sub = h.subscribe(alice, g.streamId, 2);
    await sub.until((s) => s.chunks.length === 3);
    expect(seqs(sub.chunks)).toEqual([8, 9, 10]);
    await g.done('COMPLETE');
    await sub.ended();
    expect(seqs(sub.chunks)).toEqual([8, 9, 10, 11]);
    const metrics = await (await fetch(h.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/streaming_chunks_skipped_total\{[^}]*\} 5\b/);
  });
}
