import { eventually, textOf, userPrincipal, type Harness, type Target } from '../harness';

const alice = userPrincipal('alice');
const mallory = userPrincipal('mallory');

/** STREAM_START_WAIT_MS in this suite: far beyond the test's timeout, so any wait for a `start` fails it. */
const NEVER = '600000';

/**
 * Unknown, finished, expired and foreign stream ids answer at once: only a generation conversation
 * recorded as requested, and not ended, is waited for. STREAM_START_WAIT_MS is set far beyond the
 * test timeout, so a subscription that waited (as every unknown id used to) fails its test.
 */
export function describeStreamIds(target: Target): void {
  let h: Harness;
  beforeAll(async () => {
    h = await target.start({ STREAM_START_WAIT_MS: NEVER });
  });
  afterAll(() => h.dispose());

  it('answers NOT_FOUND (UNKNOWN_STREAM) at once for an id nothing names, leaving no follower', async () => {
    const sub = await h.subscribe(alice, 'no-such-stream').ended();
    expect(sub.code).toBe('NOT_FOUND');
    expect(sub.errors?.[0]?.extensions?.reason).toBe('UNKNOWN_STREAM');
    expect(sub.chunks).toEqual([]);
    expect(h.kv.openFollowers).toBe(0);
  });

  it('replays a finished, retained generation and completes', async () => {
    const g = h.generation('alice');
    await g.request();
    await g.start();
    await g.delta('all ');
    await g.delta('there');
    await g.done('COMPLETE');
    const sub = await h.subscribe(alice, g.streamId).ended();
    expect(sub.errors).toBeUndefined();
    expect(sub.completed).toBe(true);
    expect(textOf(sub.chunks)).toBe('all there');
    expect(sub.chunks.at(-1)).toMatchObject({ done: true, status: 'COMPLETE', message: { id: g.messageId } });
  });

  it('answers NOT_FOUND (STREAM_ENDED) with the message id at once for a generation whose stream expired', async () => {
    const g = h.generation('alice');
    await g.request();
    await g.start();
    await g.delta('gone');
    await g.done('COMPLETE');
    await g.expire();
    const sub = await h.subscribe(alice, g.streamId, 2).ended();
    expect(sub.code).toBe('NOT_FOUND');
    expect(sub.errors?.[0]?.extensions).toMatchObject({ reason: 'STREAM_ENDED', messageId: g.messageId });
    expect(sub.chunks).toEqual([]);
    expect(h.kv.openFollowers).toBe(0);
  });

  it('answers STREAM_ENDED at once for a generation that failed before writing any stream', async () => {
    const g = h.generation('alice');
    await g.request();
    await g.markApplied('generation.failed');
    const sub = await h.subscribe(alice, g.streamId).ended();
    expect(sub.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'STREAM_ENDED', messageId: g.messageId });
  });

  it('ends the wait of a pending generation with STREAM_ENDED when its outcome is applied without a stream', async () => {
    const g = h.generation('alice');
    await g.request();
    const sub = h.subscribe(alice, g.streamId);
    // Both waits (stream and marker) are open: the subscription is pending, not refused.
    await eventually(
      () => h.kv.openFollowers,
      (n) => n === 2,
    );
    expect(sub.completed || sub.errors !== undefined).toBe(false);
    await g.markApplied('generation.failed');
    await sub.ended();
    expect(sub.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'STREAM_ENDED' });
    await eventually(
      () => h.kv.openFollowers,
      (n) => n === 0,
    );
    expect(h.kv.openFollowers).toBe(0);
  });

  it('serves a pending generation once it starts', async () => {
    const g = h.generation('alice');
    await g.request();
    const sub = h.subscribe(alice, g.streamId);
    await eventually(
      () => h.kv.openFollowers,
      (n) => n === 2,
    );
    await g.start();
    await g.delta('on time');
    await g.done('COMPLETE');
    await sub.ended();
    expect(sub.completed).toBe(true);
    expect(textOf(sub.chunks)).toBe('on time');
  });

  it("refuses another user's id with FORBIDDEN at once: pending, running, or expired", async () => {
    const pending = h.generation('alice');
    await pending.request();
    const running = h.generation('alice');
    await running.request();
    await running.start();
    const expired = h.generation('alice');
    await expired.request();
    await expired.start();
    await expired.done('COMPLETE');
    await expired.expire();
    for (const g of [pending, running, expired]) {
      const sub = await h.subscribe(mallory, g.streamId).ended();
      expect(sub.code).toBe('FORBIDDEN');
      expect(sub.chunks).toEqual([]);
    }
  });
}
