import { newId } from '@chatgraph/kit';
import { insertWithOutbox } from '@chatgraph/kit/events';
import type { KvStore } from '@chatgraph/kit/kv';
import type { GenerationDoc } from '../src/store';
import { collectEvents, eventsOf, eventually, newSubject, readStream, startAiGateway, type Harness } from './harness';

/** A generation another instance was running when it died: open, its lease expired. */
function orphan(leaseUntil: Date): GenerationDoc {
  const subject = newSubject();
  return {
    _id: newId(),
    ...subject,
    model: 'gated',
    generateTitle: false,
    state: 'running',
    instanceId: 'a-dead-instance',
    leaseUntil,
    createdAt: new Date(leaseUntil.getTime() - 5000),
    startedAt: new Date(leaseUntil.getTime() - 5000),
    endedAt: null,
    outcome: null,
    finishReason: null,
    deployment: null,
    title: null,
    streamClosed: false,
  };
}

describe('the lease sweep after an instance died', () => {
  let h: Harness;
  /** Token-stream reads in progress now, and the most seen at once. */
  let reading = 0;
  let mostAtOnce = 0;
  let reads = 0;

  beforeAll(async () => {
    h = await startAiGateway({
      // Only the sweeps this test runs.
      env: { GENERATION_SWEEP_MS: '3600000' },
      wrapKv: (kv) => {
        const counted = Object.create(kv) as KvStore;
        counted.read = async (key, options) => {
          reading++;
          reads++;
          mostAtOnce = Math.max(mostAtOnce, reading);
          try {
            // Yield first, so reads the sweep starts together are all seen in progress.
            await new Promise((resolve) => setImmediate(resolve));
            return await kv.read(key, options);
          } finally {
            reading--;
          }
        };
        return counted;
      },
    });
  });
  afterAll(() => h.dispose());

  it('ends every expired generation of the dead instance in one pass, handling them together rather than one after the other', async () => {
    const events = await collectEvents(h);
    const expired = Array.from({ length: 8 }, () => orphan(new Date(Date.now() - 1000)));
    for (const doc of expired) await h.collections.generations.insertOne(insertWithOutbox(doc, []));

    expect(await h.gateway.scheduler.sweep()).toBe(expired.length);
    // Before, each was read, failed and closed before the next one's stream was even read.
    expect(mostAtOnce).toBe(expired.length);

    const after = await h.collections.generations.find({ streamId: { $in: expired.map((d) => d.streamId) } });
    expect(after.map((d) => [d.state, d.outcome, d.finishReason, d.streamClosed])).toEqual(
      expired.map(() => ['done', 'FAILED', 'interrupted', true]),
    );
    for (const doc of expired) {
      const stream = await readStream(h.kv, doc.streamId);
      expect(stream.map((s) => s.entry.type)).toEqual(['start', 'done']);
      expect(
        await eventually(
          async () => eventsOf(events, doc.streamId, 'generation.failed'),
          (e) => e.length === 1,
        ),
      ).toHaveLength(1);
    }
    // Nothing is left for the next pass.
    expect(await h.gateway.scheduler.sweep()).toBe(0);
  });

  it('runs one pass at a time: a sweep called while one runs starts after it instead of reading the same generations at once', async () => {
    const expired = Array.from({ length: 4 }, () => orphan(new Date(Date.now() - 1000)));
    for (const doc of expired) await h.collections.generations.insertOne(insertWithOutbox(doc, []));
    reads = 0;
    const [first, second] = await Promise.all([h.gateway.scheduler.sweep(), h.gateway.scheduler.sweep()]);
    expect([first, second]).toEqual([expired.length, 0]);
    expect(reads).toBe(expired.length);
  });
});
