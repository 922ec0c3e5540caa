import { newId } from '@chatgraph/kit';
import { insertWithOutbox } from '@chatgraph/kit/events';
import {
  GENERATION_CONTROL_CHANNEL,
  ownerStreamsKey,
  tokenStreamMetaKey,
  tokenStreamStopKey,
  type TokenStreamMeta,
} from '@chatgraph/schema';
import { demoAnswer, demoTitle } from '../../src/providers/demoProvider';
import { pruneOldGenerations } from '../../src/domain/retention';
import { TokenStreamWriter } from '../../src/tokenStreamWriter';
import { countedUsage } from '../../src/domain/usage';
import {
  collectEvents,
  eventsOf,
  eventually,
  newSubject,
  readStream,
  requestGeneration,
  type CollectedEvent,
  type Harness,
  type Target,
} from '../harness';

/**
 * The generation flow through the bus, the document store and the kv store: the same suite runs
 * on the embedded adapters (flow.test.ts) and on Kafka + FerretDB + Redis (aiGateway.real.test.ts).
 */
export function describeFlow(target: Target): void {
  let h: Harness;
  let events: CollectedEvent[];

  beforeAll(async () => {
    h = await target.start();
    events = await collectEvents(h);
  }, target.hookTimeout);
  afterAll(() => h?.dispose(), target.hookTimeout);

  const waitForEvent = async (streamId: string, type: string) => {
    const found = await eventually(
      async () => eventsOf(events, streamId, type),
      (e) => e.length > 0,
      target.tries,
    );
    const event = found[0];
    if (!event) throw new Error(`no ${type} for ${streamId}`);
    return event;
  };
  const waitForDone = (streamId: string) =>
    eventually(
      () => readStream(h.kv, streamId),
      (entries) => entries.some((e) => e.entry.type === 'done'),
      target.tries,
    );
  const meta = async (streamId: string): Promise<TokenStreamMeta | null> => {
    const raw = await h.kv.get(tokenStreamMetaKey(streamId));
    return raw ? (JSON.parse(raw) as TokenStreamMeta) : null;
  };

  it('streams a requested generation in seq order and reports it completed with usage', async () => {
    const subject = newSubject();
    await requestGeneration(h, subject, { prompt: 'Tell me about streams' });
    const completed = await waitForEvent(subject.streamId, 'generation.completed');
    const answer = demoAnswer([{ role: 'user', content: 'Tell me about streams' }]);
    expect(completed.payload).toEqual({
      content: answer,
      finishReason: 'stop',
      model: 'local-demo',
      deployment: 'demo/local-demo',
      usageSource: 'counted',
      usage: countedUsage(
        [
          { role: 'system', content: 'You are helpful.' },
          { role: 'user', content: 'Tell me about streams' },
        ],
        answer,
      ),
    });
    const started = await waitForEvent(subject.streamId, 'generation.started');
    expect(started.payload).toEqual({ model: 'local-demo', deployment: 'demo/local-demo' });
    expect(events.indexOf(events.find((e) => e.event.id === started.id) as CollectedEvent)).toBeLessThan(
      events.findIndex((e) => e.event.id === completed.id),
    );

    const entries = await waitForDone(subject.streamId);
    // The outcome is durable before any reader can see `done`.
    expect((await h.collections.generations.findOne({ streamId: subject.streamId }))?.outcome).toBe('COMPLETE');
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    expect(entries[0]?.entry).toEqual({
      type: 'start',
      ownerId: subject.ownerId,
      conversationId: subject.conversationId,
      messageId: subject.messageId,
      model: 'local-demo',
    });
    const deltas = entries.filter((e) => e.entry.type === 'delta').map((e) => (e.entry.type === 'delta' ? e.entry.delta : ''));
    expect(deltas.join('')).toBe(answer);
    expect(entries.at(-1)?.entry).toEqual({
      type: 'done',
      outcome: 'COMPLETE',
      finishReason: 'stop',
      usage: (completed.payload as { usage: unknown }).usage,
    });
    expect(await meta(subject.streamId)).toMatchObject({
      state: 'done',
      outcome: 'COMPLETE',
      finishReason: 'stop',
      ownerId: subject.ownerId,
    });
    expect(
      await eventually(
        () => h.collections.generations.findOne({ streamId: subject.streamId }),
        (d) => d?.streamClosed === true,
        target.tries,
      ),
    ).toMatchObject({ state: 'done', outcome: 'COMPLETE', deployment: 'demo/local-demo' });
    const index = await h.kv.read(ownerStreamsKey(subject.ownerId));
    expect(index.map((e) => e.fields.streamId)).toContain(subject.streamId);
  });

  it('never generates twice for a redelivered request or a second request of the same stream', async () => {
    const subject = newSubject();
    const eventId = newId();
    await requestGeneration(h, subject, { eventId });
    await requestGeneration(h, subject, { eventId });
    await requestGeneration(h, subject);
    await waitForEvent(subject.streamId, 'generation.completed');
    // A fourth request after the first finished shows every earlier one was handled (same key, in order).
    const probe = newSubject(subject.ownerId);
    await requestGeneration(h, { ...probe, conversationId: subject.conversationId });
    await waitForEvent(probe.streamId, 'generation.completed');
    expect(await h.collections.generations.count({ streamId: subject.streamId })).toBe(1);
    expect(eventsOf(events, subject.streamId, 'generation.completed')).toHaveLength(1);
    const entries = await readStream(h.kv, subject.streamId);
    expect(entries.filter((e) => e.entry.type === 'start')).toHaveLength(1);
    expect(entries.filter((e) => e.entry.type === 'done')).toHaveLength(1);
  });

  it('writes nothing for a request of a stream that already ended here (its provider call is let go once the store says duplicate)', async () => {
    const subject = newSubject();
    await requestGeneration(h, subject);
    await waitForEvent(subject.streamId, 'generation.completed');
    const before = await waitForDone(subject.streamId);
    // The job is gone from this instance, so only the store's unique stream id can tell.
    await requestGeneration(h, subject);
    const probe = newSubject(subject.ownerId);
    await requestGeneration(h, { ...probe, conversationId: subject.conversationId });
    await waitForEvent(probe.streamId, 'generation.completed');
    expect(await h.collections.generations.count({ streamId: subject.streamId })).toBe(1);
    expect(eventsOf(events, subject.streamId, 'generation.completed')).toHaveLength(1);
    expect(eventsOf(events, subject.streamId, 'generation.started')).toHaveLength(1);
    expect(await readStream(h.kv, subject.streamId)).toEqual(before);
  });

  it('aborts a running generation on a stop from the control channel, keeping the partial text', async () => {
    const subject = newSubject();
    await requestGeneration(h, subject, { model: 'gated' });
    await eventually(
      () => readStream(h.kv, subject.streamId),
      (entries) => entries.map((e) => (e.entry.type === 'delta' ? e.entry.delta : '')).join('') === 'partial answer ',
      target.tries,
    );
    await h.kv.publish(
      GENERATION_CONTROL_CHANNEL,
      JSON.stringify({ type: 'stop', streamId: subject.streamId, requestedBy: subject.ownerId }),
    );
    const completed = await waitForEvent(subject.streamId, 'generation.completed');
    expect(completed.payload).toMatchObject({ content: 'partial answer ', finishReason: 'aborted', model: 'gated' });
    const entries = await waitForDone(subject.streamId);
    expect(entries.at(-1)?.entry).toMatchObject({ type: 'done', outcome: 'ABORTED', finishReason: 'aborted' });
    expect(await meta(subject.streamId)).toMatchObject({ state: 'done', outcome: 'ABORTED' });
    expect((await h.collections.generations.findOne({ streamId: subject.streamId }))?.outcome).toBe('ABORTED');
  });

  it('honours a stop key set before the generation started', async () => {
    const subject = newSubject();
    await h.kv.set(tokenStreamStopKey(subject.streamId), JSON.stringify({ requestedBy: subject.ownerId }));
    await requestGeneration(h, subject);
    const completed = await waitForEvent(subject.streamId, 'generation.completed');
    expect(completed.payload).toMatchObject({ content: '', finishReason: 'aborted' });
    const entries = await waitForDone(subject.streamId);
    expect(entries.map((e) => e.entry.type)).toEqual(['start', 'done']);
    expect(entries[1]?.entry).toMatchObject({ outcome: 'ABORTED' });
  });

  it('fails a generation whose instance died (expired lease) with the text it had streamed', async () => {
    const subject = newSubject();
    const past = new Date(Date.now() - 60_000);
    await h.collections.generations.insertOne(
      insertWithOutbox(
        {
          _id: newId(),
          ...subject,
          model: 'local-demo',
          generateTitle: false,
          state: 'running',
          instanceId: 'dead-instance',
          leaseUntil: past,
          createdAt: past,
          startedAt: past,
          endedAt: null,
          outcome: null,
          finishReason: null,
          deployment: null,
          title: null,
          streamClosed: false,
        },
        [],
      ),
    );
    const writer = new TokenStreamWriter({ kv: h.kv, ...subject, model: 'local-demo', maxLen: 1000, retentionMs: 60_000 });
    await writer.start();
    writer.push('half ');
    writer.push('done');
    await writer.flush();

    expect(await h.gateway.scheduler.sweep()).toBe(1);
    expect(await h.gateway.scheduler.sweep()).toBe(0);
    const failed = await waitForEvent(subject.streamId, 'generation.failed');
    expect(failed.payload).toMatchObject({ content: 'half done', finishReason: 'interrupted', model: 'local-demo' });
    const entries = await readStream(h.kv, subject.streamId);
    expect(entries.at(-1)?.entry).toMatchObject({ type: 'done', outcome: 'FAILED', finishReason: 'interrupted' });
    expect(await meta(subject.streamId)).toMatchObject({ state: 'done', outcome: 'FAILED' });
  });

  it('writes the missing done entry of a generation that ended but whose instance died before closing its stream', async () => {
    const subject = newSubject();
    const past = new Date(Date.now() - 120_000);
    await h.collections.generations.insertOne({
      _id: newId(),
      ...subject,
      model: 'local-demo',
      generateTitle: false,
      state: 'done',
      instanceId: 'dead-instance',
      leaseUntil: past,
      createdAt: past,
      startedAt: past,
      endedAt: past,
      outcome: 'COMPLETE',
      finishReason: 'stop',
      deployment: 'demo/local-demo',
      title: null,
      streamClosed: false,
    });
    const writer = new TokenStreamWriter({ kv: h.kv, ...subject, model: 'local-demo', maxLen: 1000, retentionMs: 60_000 });
    await writer.start();
    writer.push('all of it');
    await writer.flush();

    expect(await h.gateway.scheduler.sweep()).toBe(0);
    const entries = await readStream(h.kv, subject.streamId);
    expect(entries.map((e) => e.entry.type)).toEqual(['start', 'delta', 'done']);
    expect(entries[2]?.entry).toMatchObject({ outcome: 'COMPLETE', finishReason: 'stop' });
    expect(await meta(subject.streamId)).toMatchObject({ state: 'done', outcome: 'COMPLETE' });
    expect((await h.collections.generations.findOne({ streamId: subject.streamId }))?.streamClosed).toBe(true);
    expect(eventsOf(events, subject.streamId)).toEqual([]);
  });

  it('prunes ended generations older than the retention and keeps the rest', async () => {
    const old = new Date('2020-01-01T00:00:00Z');
    const base = {
      model: 'local-demo',
      generateTitle: false,
      instanceId: 'old',
      leaseUntil: old,
      createdAt: old,
      startedAt: old,
      endedAt: old,
      outcome: 'COMPLETE' as const,
      finishReason: 'stop',
      deployment: null,
      title: null,
    };
    const [done, running, recent] = [newSubject(), newSubject(), newSubject()];
    await h.collections.generations.insertMany([
      { _id: newId(), ...done, ...base, state: 'done', streamClosed: true },
      {
        _id: newId(),
        ...running,
        ...base,
        state: 'running',
        leaseUntil: new Date(Date.now() + 600_000),
        endedAt: null,
        outcome: null,
        streamClosed: false,
      },
      { _id: newId(), ...recent, ...base, state: 'done', streamClosed: true, endedAt: new Date('2022-01-01T00:00:00Z') },
    ]);
    expect(await pruneOldGenerations(h.store, h.collections, new Date('2021-01-01T00:00:00Z'))).toBe(1);
    const left = await h.collections.generations.find({ streamId: { $in: [done.streamId, running.streamId, recent.streamId] } });
    expect(left.map((d) => d.streamId).sort()).toEqual([running.streamId, recent.streamId].sort());
    await h.collections.generations.deleteMany({ streamId: running.streamId });
  });

  it('generates a title after a completed answer when asked', async () => {
    const subject = newSubject();
    await requestGeneration(h, subject, { prompt: 'how do rockets reach orbit so fast?', generateTitle: true });
    const titled = await waitForEvent(subject.streamId, 'title.generated');
    expect(titled.payload).toEqual({ title: demoTitle('how do rockets reach orbit so fast?'), model: 'local-demo' });
    expect(demoTitle('how do rockets reach orbit so fast?')).toBe('How do rockets reach orbit so');
  });

  it('fails a request for a model the catalog does not have', async () => {
    const subject = newSubject();
    await requestGeneration(h, subject, { model: 'no-such-model' });
    const failed = await waitForEvent(subject.streamId, 'generation.failed');
    expect(failed.payload).toMatchObject({ error: expect.stringContaining('no-such-model'), content: '', finishReason: 'error' });
    const entries = await waitForDone(subject.streamId);
    expect(entries.map((e) => e.entry.type)).toEqual(['start', 'done']);
  });
}
