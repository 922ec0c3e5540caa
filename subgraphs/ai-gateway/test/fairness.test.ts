import { GENERATION_CONTROL_CHANNEL, aiGenerationV1 } from '@chatgraph/schema';
import { FairQueue } from '../src/domain/fairQueue';
import type { GenerationRequested } from '../src/events';
import { eventually, newSubject, requestGeneration, startAiGateway, type Harness } from './harness';

/**
 * Fair scheduling (issue 10): users are served round-robin, one user runs at most
 * MAX_RUNNING_GENERATIONS_PER_USER generations at once, and a duplicate delivery while a request
 * waits for queue room does not become a second entry.
 */

describe('FairQueue', () => {
  const owner = (item: string): string => item.slice(0, 1);

  it("serves owners in turn, each owner's jobs oldest first", () => {
    const queue = new FairQueue<string>(owner);
    for (const item of ['a1', 'a2', 'a3', 'a4', 'b1', 'c1', 'b2']) queue.push(item);
    const order: string[] = [];
    for (let item = queue.take(); item !== undefined; item = queue.take()) order.push(item);
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4']);
    expect(queue.size).toBe(0);
  });

  it("remembers an owner's turn while it has nothing waiting: the next job of a user just served comes after another user's", () => {
    const queue = new FairQueue<string>(owner);
    queue.push('a1');
    expect(queue.take()).toBe('a1');
    for (const item of ['a2', 'a3', 'b1']) queue.push(item);
    expect([queue.take(), queue.take(), queue.take()]).toEqual(['b1', 'a2', 'a3']);
  });

  it('skips owners that may not run now, who keep their place for when they may', () => {
    const queue = new FairQueue<string>(owner);
    for (const item of ['a1', 'a2', 'b1', 'c1']) queue.push(item);
    expect(queue.take((o) => o !== 'a')).toBe('b1');
    expect(queue.take((o) => o !== 'a')).toBe('c1');
    expect(queue.take((o) => o !== 'a')).toBeUndefined();
    expect(queue.size).toBe(2);
    expect(queue.items()).toEqual(['a1', 'a2']);
    expect(queue.take()).toBe('a1');
  });
});

/** Which of the subjects' generations are running now (their documents' state). */
async function runningOf(h: Harness, subjects: Array<{ streamId: string }>): Promise<string[]> {
  const docs = await h.collections.generations.find({ streamId: { $in: subjects.map((s) => s.streamId) }, state: 'running' });
  return subjects.filter((s) => docs.some((d) => d.streamId === s.streamId)).map((s) => s.streamId);
}

/**
 * The running ones once `expected` of them are marked running: a provider call starts while its
 * document's `running` write is still on its way, so the documents can trail the gated provider.
 */
function runningOnce(h: Harness, subjects: Array<{ streamId: string }>, expected: number): Promise<string[]> {
  return eventually(
    () => runningOf(h, subjects),
    (running) => running.length >= expected,
  );
}

/** Subjects of one user in one conversation: same partition key, so the bus delivers them in order. */
function burst(ownerId: string, n: number): Array<ReturnType<typeof newSubject>> {
  const first = newSubject(ownerId);
  return Array.from({ length: n }, () => ({ ...newSubject(ownerId), conversationId: first.conversationId }));
}

const stop = (h: Harness, subject: { streamId: string; ownerId: string }): Promise<void> =>
  h.kv
    .publish(GENERATION_CONTROL_CHANNEL, JSON.stringify({ type: 'stop', streamId: subject.streamId, requestedBy: subject.ownerId }))
    .then(() => undefined);

describe('the scheduler', () => {
  let h: Harness;
  afterEach(() => h.dispose());

  it('runs at most MAX_RUNNING_GENERATIONS_PER_USER of one user, giving the other slots to other users first', async () => {
    h = await startAiGateway({ env: { MAX_CONCURRENT_GENERATIONS: '2', MAX_RUNNING_GENERATIONS_PER_USER: '1' } });
    const a = burst('user-a', 3);
    const b = newSubject('user-b');
    for (const subject of a) await requestGeneration(h, subject, { model: 'gated' });
    await eventually(
      () => h.collections.generations.count({ ownerId: 'user-a' }),
      (n) => n === 3,
    );
    await requestGeneration(h, b, { model: 'gated' });
    await eventually(
      async () => h.gated.waiting,
      (n) => n === 2,
    );
    expect(await runningOnce(h, [...a, b], 2)).toEqual([a[0]?.streamId, b.streamId]);
    // A's second runs once A's first ends, not before.
    await stop(h, a[0] as (typeof a)[number]);
    await eventually(
      async () => h.gated.waiting,
      (n) => n === 3,
    );
    expect(await runningOnce(h, [a[1] as (typeof a)[number], a[2] as (typeof a)[number], b], 2)).toEqual([a[1]?.streamId, b.streamId]);
    for (const subject of [a[1], a[2], b]) if (subject) await stop(h, subject);
    await eventually(
      () => h.collections.generations.count({ state: { $ne: 'done' } }),
      (n) => n === 0,
    );
  });

  it('serves waiting users round-robin: the user who waited behind a burst runs next', async () => {
    h = await startAiGateway({ env: { MAX_CONCURRENT_GENERATIONS: '1', MAX_RUNNING_GENERATIONS_PER_USER: '5' } });
    const a = burst('user-a', 3);
    const b = newSubject('user-b');
    for (const subject of a) await requestGeneration(h, subject, { model: 'gated' });
    await eventually(
      () => h.collections.generations.count({ ownerId: 'user-a' }),
      (n) => n === 3,
    );
    await requestGeneration(h, b, { model: 'gated' });
    await eventually(
      () => h.collections.generations.count({}),
      (n) => n === 4,
    );
    await eventually(
      async () => h.gated.waiting,
      (n) => n === 1,
    );
    expect(await runningOnce(h, [...a, b], 1)).toEqual([a[0]?.streamId]);
    await stop(h, a[0] as (typeof a)[number]);
    await eventually(
      async () => h.gated.waiting,
      (n) => n === 2,
    );
    expect(await runningOnce(h, [a[1] as (typeof a)[number], a[2] as (typeof a)[number], b], 1)).toEqual([b.streamId]);
    for (const subject of [b, a[1], a[2]]) {
      if (!subject) continue;
      await eventually(
        async () => runningOf(h, [subject]),
        (r) => r.length === 1,
      );
      await stop(h, subject);
    }
    await eventually(
      () => h.collections.generations.count({ state: { $ne: 'done' } }),
      (n) => n === 0,
    );
  });

  it('treats a duplicate delivery during the wait for queue room as a no-op: one job, one document, its lease renewed', async () => {
    h = await startAiGateway({ env: { MAX_CONCURRENT_GENERATIONS: '1', MAX_QUEUED_GENERATIONS: '1' } });
    const running = newSubject();
    const queued = newSubject();
    await requestGeneration(h, running, { model: 'gated' });
    await requestGeneration(h, queued, { model: 'gated' });
    await eventually(
      async () => h.gateway.scheduler.activeCount,
      (n) => n === 2,
    );
    // The queue is full: this request waits for room, and a duplicate of it arrives meanwhile.
    const third = newSubject();
    const event = aiGenerationV1.create('generation.requested', third, {
      model: 'gated',
      messages: [{ role: 'USER', content: 'hi' }],
      droppedMessages: 0,
      estimatedPromptTokens: 1,
    }) as GenerationRequested;
    const first = h.gateway.scheduler.accept(event);
    let duplicateSettled = false;
    const duplicate = h.gateway.scheduler.accept(event).finally(() => (duplicateSettled = true));
    expect(
      await eventually(
        async () => duplicateSettled,
        (settled) => settled,
      ),
    ).toBe(true);
    await duplicate;
    expect(h.gateway.scheduler.waitingForRoom).toBe(1);

    await stop(h, running);
    await first;
    expect(await h.collections.generations.count({ streamId: third.streamId })).toBe(1);
    // The one job holds the stored document: the heartbeat renews that document's lease.
    await h.collections.generations.updateOne({ streamId: third.streamId }, { $set: { leaseUntil: new Date(0) } });
    await h.gateway.scheduler.heartbeat();
    expect((await h.collections.generations.findOne({ streamId: third.streamId }))?.leaseUntil.getTime()).toBeGreaterThan(0);
    await stop(h, queued);
    await eventually(
      async () => runningOf(h, [third]),
      (r) => r.length === 1,
    );
    await stop(h, third);
    await eventually(
      () => h.collections.generations.count({ state: { $ne: 'done' } }),
      (n) => n === 0,
    );
  });
});
