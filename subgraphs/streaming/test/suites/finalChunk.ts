import { eventually, userPrincipal, type Harness, type Target } from '../harness';

const alice = userPrincipal('alice');

/** Lets the service act on what it has (it would have sent a chunk by now if it were going to). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 300));

/** The value of one metric line on streaming's `/metrics`. */
async function metric(h: Harness, name: string): Promise<number> {
  const text = await (await fetch(h.url.replace(/\/graphql$/, '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : Number.NaN;
}

/**
 * The hold of the `done` chunk until conversation has applied the outcome (outcomeApplied.ts):
 * conversation's marker releases it, whichever of the two is written first; a missing marker
 * delays it by at most FINAL_CHUNK_WAIT_MS (counted); a client leaving ends the hold at once.
 */
export function describeFinalChunk(target: Target): void {
  describe('held until conversation applied the outcome', () => {
    let h: Harness;
    beforeAll(async () => {
      // A bound no test reaches: only the marker releases the chunk here.
      h = await target.start({ FINAL_CHUNK_WAIT_MS: '60000' });
    });
    afterAll(() => h.dispose());

    it('sends every chunk but the done one until the marker comes, then the done chunk, then completes', async () => {
      const g = h.generation('alice');
      await g.start();
      const sub = h.subscribe(alice, g.streamId);
      await g.delta('answer');
      await g.done('COMPLETE', { applied: false });
      await sub.until((s) => s.chunks.length === 2);
      await settle();
      expect(sub.chunks.map((c) => c.done)).toEqual([false, false]);
      expect(sub.completed).toBe(false);

      await g.markApplied();
      await sub.ended();
      expect(sub.completed).toBe(true);
      expect(sub.chunks.map((c) => [c.seq, c.done, c.status])).toEqual([
        [1, false, null],
        [2, false, null],
        [3, true, 'COMPLETE'],
      ]);
      expect(await metric(h, 'streaming_final_chunk_wait_expired_total')).toBe(0);
    });

    it('releases the done chunk at once when the marker was written before it (conversation was faster)', async () => {
      const g = h.generation('alice');
      await g.start();
      await g.markApplied('generation.failed');
      await g.done('FAILED', { applied: false, error: 'boom' });
      const sub = await h.subscribe(alice, g.streamId).ended();
      expect(sub.completed).toBe(true);
      expect(sub.chunks.at(-1)).toMatchObject({ done: true, status: 'FAILED', error: 'boom' });
    });

    it('a client leaving during the hold ends it: its followers are released', async () => {
      const g = h.generation('alice');
      await g.start();
      await g.done('ABORTED', { applied: false });
      const sub = h.subscribe(alice, g.streamId);
      await sub.until((s) => s.chunks.length === 1);
      await eventually(
        () => h.kv.openFollowers,
        (n) => n === 2,
      );
      expect(h.kv.openFollowers).toBe(2); // the token stream's and the marker's
      sub.unsubscribe();
      expect(
        await eventually(
          () => h.kv.openFollowers,
          (n) => n === 0,
        ),
      ).toBe(0);
      expect(h.streaming.service.openSubscriptions).toBe(0);
    });
  });

  describe('bounded when no marker ever comes', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await target.start({ FINAL_CHUNK_WAIT_MS: '200' });
    });
    afterAll(() => h.dispose());

    it('releases the done chunk after FINAL_CHUNK_WAIT_MS and counts it', async () => {
      const g = h.generation('alice');
      await g.start();
      await g.done('COMPLETE', { applied: false });
      const sub = await h.subscribe(alice, g.streamId).ended();
      expect(sub.completed).toBe(true);
      expect(sub.chunks.map((c) => c.done)).toEqual([false, true]);
      expect(await metric(h, 'streaming_final_chunk_wait_expired_total')).toBe(1);
    });
  });
}
