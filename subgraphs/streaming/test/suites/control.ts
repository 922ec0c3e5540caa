import { GENERATION_CONTROL_CHANNEL, parseGenerationControl, tokenStreamStopKey, type GenerationControl } from '@chatgraph/schema';
import { codeOf, ok, userPrincipal, type Harness, type Target } from '../harness';

const alice = userPrincipal('alice');
const bob = userPrincipal('bob');
const STOP = 'mutation($id: ID!) { stopGeneration(streamId: $id) }';
const ACTIVE = '{ activeStreams { streamId model startedAt lastSeq conversation { id } message { id } } }';

interface StreamInfo {
  streamId: string;
  model: string;
  startedAt: string;
  lastSeq: number;
  conversation: { id: string };
  message: { id: string };
}

/** `stopGeneration` and `activeStreams`. */
export function describeControl(target: Target): void {
  let h: Harness;
  /** Every message on the control channel, in publish order. */
  const control: string[] = [];
  let waiters: Array<() => void> = [];
  /** Publishes a marker and waits until it arrives: every message published before it has arrived too. */
  const drainControl = async (): Promise<string[]> => {
    const marker = `marker-${control.length}-${Math.random()}`;
    await h.kv.publish(GENERATION_CONTROL_CHANNEL, marker);
    while (!control.includes(marker)) await new Promise<void>((resolve) => waiters.push(resolve));
    const seen = control.splice(0).filter((m) => !m.startsWith('marker-'));
    return seen;
  };

  beforeAll(async () => {
    h = await target.start({ STOP_REQUEST_TTL_MS: '60000' });
    await h.kv.subscribe(GENERATION_CONTROL_CHANNEL, (message) => {
      control.push(message);
      const w = waiters;
      waiters = [];
      w.forEach((f) => f());
    });
  });
  afterAll(() => h.dispose());

  it('stops a running generation: sets the stop flag, then publishes the control message', async () => {
    const g = h.generation('alice');
    await g.start();
    await g.delta('so far');
    expect(ok<boolean>(await h.gql(alice, STOP, { id: g.streamId }), 'stopGeneration')).toBe(true);
    const expected: GenerationControl = { type: 'stop', streamId: g.streamId, requestedBy: 'alice' };
    const published = await drainControl();
    expect(published.map(parseGenerationControl)).toEqual([expected]);
    const flag = await h.kv.get(tokenStreamStopKey(g.streamId));
    expect(flag).not.toBeNull();
    expect(parseGenerationControl(flag ?? '')).toEqual(expected);
  });

  it('stops a generation whose meta is not written yet, proving ownership by its start entry', async () => {
    const g = h.generation('alice');
    await g.start({ withMeta: false });
    expect(codeOf(await h.gql(bob, STOP, { id: g.streamId }))).toBe('FORBIDDEN');
    expect(ok<boolean>(await h.gql(alice, STOP, { id: g.streamId }), 'stopGeneration')).toBe(true);
    expect((await drainControl()).map(parseGenerationControl)).toEqual([{ type: 'stop', streamId: g.streamId, requestedBy: 'alice' }]);
  });

  it('answers false for a generation that already ended, publishing nothing', async () => {
    const g = h.generation('alice');
    await g.start();
    await g.done('COMPLETE');
    expect(ok<boolean>(await h.gql(alice, STOP, { id: g.streamId }), 'stopGeneration')).toBe(false);
    expect(await drainControl()).toEqual([]);
    expect(await h.kv.get(tokenStreamStopKey(g.streamId))).toBeNull();
  });

  it('stops a requested generation that has not started yet (the flag, read by ai-gateway when it starts); refuses another user', async () => {
    const g = h.generation('alice');
    await g.request();
    expect(codeOf(await h.gql(bob, STOP, { id: g.streamId }))).toBe('FORBIDDEN');
    expect(ok<boolean>(await h.gql(alice, STOP, { id: g.streamId }), 'stopGeneration')).toBe(true);
    expect(await h.kv.get(tokenStreamStopKey(g.streamId))).not.toBeNull();
    expect((await drainControl()).map(parseGenerationControl)).toEqual([{ type: 'stop', streamId: g.streamId, requestedBy: 'alice' }]);
  });

  it('answers false for a generation whose stream expired, publishing nothing', async () => {
    const g = h.generation('alice');
    await g.request();
    await g.start();
    await g.done('COMPLETE');
    await g.expire();
    expect(ok<boolean>(await h.gql(alice, STOP, { id: g.streamId }), 'stopGeneration')).toBe(false);
    expect(await drainControl()).toEqual([]);
  });

  it('answers NOT_FOUND for an unknown generation', async () => {
    expect(codeOf(await h.gql(alice, STOP, { id: 'no-such-stream' }))).toBe('NOT_FOUND');
    expect(await drainControl()).toEqual([]);
  });

  it('the subscriber of a stopped generation gets the ABORTED end ai-gateway writes', async () => {
    const g = h.generation('alice');
    await g.start();
    const sub = h.subscribe(alice, g.streamId);
    await sub.until((s) => s.chunks.length === 1);
    expect(ok<boolean>(await h.gql(alice, STOP, { id: g.streamId }), 'stopGeneration')).toBe(true);
    const [stop] = (await drainControl()).map(parseGenerationControl);
    // Playing ai-gateway: it aborts the provider call and ends the stream.
    expect(stop?.streamId).toBe(g.streamId);
    await g.done('ABORTED');
    await sub.ended();
    expect(sub.chunks.at(-1)).toMatchObject({ done: true, status: 'ABORTED', finishReason: 'ABORTED', message: { id: g.messageId } });
  });

  it("lists only the caller's running generations, newest first, with their last seq", async () => {
    const older = h.generation('bob', { startedAt: new Date('2026-01-01T10:00:00.000Z') });
    const newer = h.generation('bob', { startedAt: new Date('2026-01-01T11:00:00.000Z') });
    const finished = h.generation('bob');
    const someoneElse = h.generation('carol');
    await older.start();
    await newer.start();
    await older.delta('a');
    await older.delta('b');
    await finished.start();
    await finished.done('COMPLETE');
    await someoneElse.start();

    const listed = ok<StreamInfo[]>(await h.gql(bob, ACTIVE), 'activeStreams');
    expect(listed).toEqual([
      {
        streamId: newer.streamId,
        model: 'local-demo',
        startedAt: '2026-01-01T11:00:00.000Z',
        lastSeq: 1,
        conversation: { id: newer.conversationId },
        message: { id: newer.messageId },
      },
      {
        streamId: older.streamId,
        model: 'local-demo',
        startedAt: '2026-01-01T10:00:00.000Z',
        lastSeq: 3,
        conversation: { id: older.conversationId },
        message: { id: older.messageId },
      },
    ]);
    expect(ok<StreamInfo[]>(await h.gql(userPrincipal('carol'), ACTIVE), 'activeStreams').map((s) => s.streamId)).toEqual([
      someoneElse.streamId,
    ]);
    expect(ok<StreamInfo[]>(await h.gql(userPrincipal('dave'), ACTIVE), 'activeStreams')).toEqual([]);

    // Once a generation ends it leaves the list.
    await newer.done('COMPLETE');
    expect(ok<StreamInfo[]>(await h.gql(bob, ACTIVE), 'activeStreams').map((s) => s.streamId)).toEqual([older.streamId]);
  });

  it('returns at most 50 generations, the newest', async () => {
    const base = Date.parse('2026-02-01T00:00:00.000Z');
    const all = Array.from({ length: 55 }, (_, i) => h.generation('grace', { startedAt: new Date(base + i * 1000) }));
    for (const g of all) await g.start();
    const listed = ok<StreamInfo[]>(await h.gql(userPrincipal('grace'), '{ activeStreams { streamId } }'), 'activeStreams');
    expect(listed.map((s) => s.streamId)).toEqual(
      all
        .slice(5)
        .reverse()
        .map((g) => g.streamId),
    );
  });

  it('ignores owner index entries whose meta names someone else', async () => {
    const stolen = h.generation('erin');
    await stolen.start();
    // An index entry of frank's pointing at erin's generation (a writer bug) must not leak it.
    await h.kv.append('tokens:owner:frank', { streamId: stolen.streamId });
    expect(ok<StreamInfo[]>(await h.gql(userPrincipal('frank'), ACTIVE), 'activeStreams')).toEqual([]);
    expect(codeOf(await h.gql(bob, STOP, { id: stolen.streamId }))).toBe('FORBIDDEN');
  });
}
