import { aiGenerationV1, GENERATION_CONTROL_CHANNEL, tokenStreamMetaKey } from '@chatgraph/schema';
import type { KvStore } from '@chatgraph/kit/kv';
import { defaultProvider } from '../src/deployments';
import type { ProviderSpec } from '../src/catalog';
import {
  collectEvents,
  eventsOf,
  eventually,
  newSubject,
  readStream,
  requestGeneration,
  startAiGateway,
  userPrincipal,
  type Harness,
} from './harness';
import { startFakeOpenAI, type FakeOpenAI } from './support/fakeOpenAI';
import { fakeCatalog } from './support/catalogs';

describe('concurrency bound and leases', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAiGateway({ env: { MAX_CONCURRENT_GENERATIONS: '1', MAX_QUEUED_GENERATIONS: '1' } });
  });
  afterAll(() => h.dispose());

  it('queues requests beyond MAX_CONCURRENT_GENERATIONS without holding the consumer, holds it only when the queue is full, and runs them as slots free', async () => {
    const events = await collectEvents(h);
    const first = newSubject();
    const second = newSubject();
    await requestGeneration(h, first, { model: 'gated' });
    await requestGeneration(h, second, { model: 'gated' });
    // Both documents are stored (the consumer moved on), only the first runs.
    const docs = await eventually(
      () => h.collections.generations.find({ streamId: { $in: [first.streamId, second.streamId] } }),
      (d) => d.length === 2 && h.gated.waiting === 1 && h.gateway.scheduler.activeCount === 2,
    );
    expect(docs.find((d) => d.streamId === second.streamId)?.state).toBe('queued');
    expect(await readStream(h.kv, second.streamId)).toEqual([]);
    expect(h.gateway.scheduler.activeCount).toBe(2);

    // Renewing leases keeps both alive; the sweep leaves this instance's own generations alone.
    await h.collections.generations.updateMany(
      { streamId: { $in: [first.streamId, second.streamId] } },
      { $set: { leaseUntil: new Date(Date.now() - 1000) } },
    );
    expect(await h.gateway.scheduler.sweep()).toBe(0);
    await h.gateway.scheduler.heartbeat();
    const renewed = await h.collections.generations.find({ streamId: { $in: [first.streamId, second.streamId] } });
    expect(renewed.every((d) => d.leaseUntil.getTime() > Date.now())).toBe(true);

    // The queue is full: a third request holds the consumer, its document not stored yet.
    const third = newSubject();
    await requestGeneration(h, third, { model: 'gated' });
    const stored = async () => h.collections.generations.count({ streamId: { $in: [first.streamId, second.streamId, third.streamId] } });
    expect(
      await eventually(
        async () => h.gateway.scheduler.waitingForRoom,
        (n) => n === 1,
      ),
    ).toBe(1);
    expect(await stored()).toBe(2);

    await h.kv.publish(GENERATION_CONTROL_CHANNEL, JSON.stringify({ type: 'stop', streamId: first.streamId, requestedBy: first.ownerId }));
    await eventually(
      async () => h.gated.waiting,
      (n) => n === 2,
    );
    expect(await eventually(stored, (n) => n === 3)).toBe(3);
    expect(
      (
        await eventually(
          () => h.collections.generations.findOne({ streamId: second.streamId }),
          (d) => d?.state === 'running',
        )
      )?.state,
    ).toBe('running');
    await h.kv.publish(
      GENERATION_CONTROL_CHANNEL,
      JSON.stringify({ type: 'stop', streamId: second.streamId, requestedBy: second.ownerId }),
    );
    const done = await eventually(
      async () => eventsOf(events, second.streamId, 'generation.completed'),
      (e) => e.length > 0,
    );
    expect(done[0]?.payload).toMatchObject({ finishReason: 'aborted', content: 'partial answer ' });
    expect(eventsOf(events, first.streamId, 'generation.completed')[0]?.payload).toMatchObject({ finishReason: 'aborted' });
    await eventually(
      async () => h.gated.waiting,
      (n) => n === 3,
    );
    await h.kv.publish(GENERATION_CONTROL_CHANNEL, JSON.stringify({ type: 'stop', streamId: third.streamId, requestedBy: third.ownerId }));
    await eventually(
      async () => eventsOf(events, third.streamId, 'generation.completed'),
      (e) => e.length > 0,
    );
  });
});

describe('a kv failure during a generation', () => {
  it('still records the outcome with the streamed text, and the sweep closes the stream later', async () => {
    let failMetaWrites = false;
    const h = await startAiGateway({
      env: { GENERATION_LEASE_MS: '1000', GENERATION_HEARTBEAT_MS: '100' },
      wrapKv: (kv) => {
        const flaky = Object.create(kv) as KvStore;
        flaky.set = (key, value, options) =>
          failMetaWrites && key.endsWith(':meta') ? Promise.reject(new Error('kv down')) : kv.set(key, value, options);
        return flaky;
      },
    });
    try {
      const events = await collectEvents(h);
      const subject = newSubject();
      await requestGeneration(h, subject, { model: 'gated' });
      await eventually(
        async () => h.gated.waiting,
        (n) => n === 1,
      );
      // The stream's `start` (and its meta) is written while the provider call starts: only once it
      // is there does the kv fail, as it would during the answer (not before the stream exists).
      await eventually(
        () => readStream(h.kv, subject.streamId),
        (entries) => entries.length > 0,
      );
      failMetaWrites = true;
      await h.kv.publish(
        GENERATION_CONTROL_CHANNEL,
        JSON.stringify({ type: 'stop', streamId: subject.streamId, requestedBy: subject.ownerId }),
      );
      // The outcome is recorded and published although the stream could not be closed.
      const completed = await eventually(
        async () => eventsOf(events, subject.streamId, 'generation.completed'),
        (e) => e.length > 0,
      );
      expect(completed[0]?.payload).toMatchObject({ finishReason: 'aborted', content: 'partial answer ' });
      const doc = await eventually(
        () => h.collections.generations.findOne({ streamId: subject.streamId }),
        (d) => d?.state === 'done',
      );
      expect(doc).toMatchObject({ outcome: 'ABORTED', streamClosed: false });

      // Once kv is back, a sweep after the lease closes it (the done entry is written once).
      failMetaWrites = false;
      await h.collections.generations.updateOne({ streamId: subject.streamId }, { $set: { endedAt: new Date(Date.now() - 60_000) } });
      await h.gateway.scheduler.sweep();
      const entries = await readStream(h.kv, subject.streamId);
      expect(entries.filter((e) => e.entry.type === 'done')).toHaveLength(1);
      expect(entries.at(-1)?.entry).toMatchObject({ outcome: 'ABORTED' });
      expect((await h.collections.generations.findOne({ streamId: subject.streamId }))?.streamClosed).toBe(true);
      expect(JSON.parse((await h.kv.get(tokenStreamMetaKey(subject.streamId))) ?? '{}')).toMatchObject({
        state: 'done',
        outcome: 'ABORTED',
      });
    } finally {
      await h.dispose();
    }
  });
});

describe('drain on stop', () => {
  it('ends a generation still running after DRAIN_TIMEOUT_MS as FAILED interrupted, with its partial text', async () => {
    const h = await startAiGateway({ env: { DRAIN_TIMEOUT_MS: '0' } });
    try {
      const events = await collectEvents(h);
      const subject = newSubject();
      await requestGeneration(h, subject, { model: 'gated' });
      await eventually(
        () => readStream(h.kv, subject.streamId),
        (entries) => entries.filter((e) => e.entry.type === 'delta').length > 0 && h.gated.waiting > 0,
      );
      await h.stopGateway();
      const failed = await eventually(
        async () => eventsOf(events, subject.streamId, 'generation.failed'),
        (e) => e.length > 0,
      );
      expect(failed[0]?.payload).toMatchObject({ content: 'partial answer ', finishReason: 'interrupted' });
      const entries = await readStream(h.kv, subject.streamId);
      expect(entries.at(-1)?.entry).toMatchObject({ type: 'done', outcome: 'FAILED', finishReason: 'interrupted' });
      // A stop arriving after the drain finds nothing to abort (and must not throw).
      await h.kv.publish(
        GENERATION_CONTROL_CHANNEL,
        JSON.stringify({ type: 'stop', streamId: subject.streamId, requestedBy: subject.ownerId }),
      );
    } finally {
      await h.dispose();
    }
  });
});

describe('a gateway on an OpenAI-compatible provider (fake server, real SDK)', () => {
  let fake: FakeOpenAI;
  let h: Harness;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    const catalog = fakeCatalog(
      fake.baseURL,
      {
        chat: [
          { model: 'chat-primary', priority: 1 },
          { model: 'chat-backup', priority: 2 },
        ],
        cheap: [{ model: 'title-model' }],
      },
      { titleModel: 'cheap' },
    );
    h = await startAiGateway({ catalog, providerFactory: (spec: ProviderSpec) => defaultProvider(spec, 0), env: { RETRY_ATTEMPTS: '2' } });
  });
  afterAll(async () => {
    await h.dispose();
    await fake.close();
  });

  it('falls back past a failing deployment, reports the deployment and provider usage, then titles the conversation', async () => {
    fake.script('chat-primary', { status: 503 });
    fake.script('chat-backup', { text: 'Paris is the capital.', usage: { prompt_tokens: 20, completion_tokens: 5 } });
    fake.script('title-model', { text: '"Capital of France."' });
    const events = await collectEvents(h);
    const subject = newSubject();
    await requestGeneration(h, subject, { model: 'chat', generateTitle: true });
    const titled = await eventually(
      async () => eventsOf(events, subject.streamId, 'title.generated'),
      (e) => e.length > 0,
    );
    expect(titled[0]?.payload).toEqual({ title: 'Capital of France', model: 'cheap' });
    const [completed] = eventsOf(events, subject.streamId, 'generation.completed');
    expect(completed?.payload).toEqual({
      content: 'Paris is the capital.',
      finishReason: 'stop',
      model: 'chat',
      deployment: 'fake/chat-backup',
      usageSource: 'provider',
      usage: { promptTokens: 20, completionTokens: 5, totalTokens: 25 },
    });
    expect(fake.requestsFor('chat-primary')).toHaveLength(2);
    expect(fake.requestsFor('title-model')[0]).toMatchObject({ stream: false });
    const request = fake.requestsFor('chat-backup')[0];
    expect(request?.body.messages).toEqual([
      { role: 'system', content: 'You are helpful.' },
      { role: 'user', content: 'What is the capital of France?' },
    ]);

    const status = await h.gql(
      userPrincipal('admin', 'ADMIN'),
      '{ providers { deployment consecutiveFailures lastErrorAt firstTokenLatencyLastMs } }',
    );
    const rows = status.data?.providers as Array<Record<string, unknown>>;
    expect(rows.find((r) => r.deployment === 'fake/chat-primary')).toMatchObject({
      consecutiveFailures: 2,
      lastErrorAt: expect.any(String),
    });
    expect(rows.find((r) => r.deployment === 'fake/chat-backup')?.firstTokenLatencyLastMs).toEqual(expect.any(Number));
  });

  it('ends FAILED with the partial text when the provider breaks mid-stream', async () => {
    fake.script('chat-primary', { text: 'alpha beta gamma delta', failAfterChunks: 2 });
    const events = await collectEvents(h);
    const subject = newSubject();
    await requestGeneration(h, subject, { model: 'chat' });
    const failed = await eventually(
      async () => eventsOf(events, subject.streamId, 'generation.failed'),
      (e) => e.length > 0,
    );
    expect(failed[0]?.payload).toMatchObject({ content: 'alpha beta ', finishReason: 'error', model: 'chat' });
    const entries = await readStream(h.kv, subject.streamId);
    expect(entries.at(-1)?.entry).toMatchObject({ type: 'done', outcome: 'FAILED', finishReason: 'error' });
    expect(eventsOf(events, subject.streamId, 'generation.started')).toHaveLength(1);
  });

  it('serves embeddings through the provider', async () => {
    const vectors = await h.gateway.embeddings.embed({ input: ['a', 'b'] });
    expect(vectors).toMatchObject({ model: 'embed', dimensions: 8 });
    expect(vectors.vectors).toHaveLength(2);
    expect(fake.requestsFor('text-embed')).toHaveLength(1);
  });

  it('reports UNAVAILABLE when no embedding deployment answers', async () => {
    fake.script('text-embed', { status: 500 });
    await expect(h.gateway.embeddings.embed({ input: ['a'] })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    fake.script('text-embed', { status: 400 });
    await expect(h.gateway.embeddings.embed({ input: ['a'] })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

describe('two instances on shared adapters', () => {
  it('a stop reaches whichever instance runs the generation, and only that one acts on it', async () => {
    const a = await startAiGateway();
    const b = await startAiGateway({ sharedWith: a });
    try {
      const events = await collectEvents(a);
      // Accepted by B directly, so the test does not depend on how the bus spreads partitions.
      const subject = newSubject();
      await b.gateway.scheduler.accept(
        aiGenerationV1.create('generation.requested', subject, {
          model: 'gated',
          messages: [{ role: 'USER', content: 'hi' }],
          droppedMessages: 0,
          estimatedPromptTokens: 1,
        }),
      );
      await eventually(
        async () => b.gated.waiting,
        (n) => n === 1,
      );
      expect(a.gateway.scheduler.activeCount).toBe(0);
      await a.kv.publish(
        GENERATION_CONTROL_CHANNEL,
        JSON.stringify({ type: 'stop', streamId: subject.streamId, requestedBy: subject.ownerId }),
      );
      const done = await eventually(
        async () => eventsOf(events, subject.streamId, 'generation.completed'),
        (e) => e.length > 0,
      );
      expect(done[0]?.payload).toMatchObject({ finishReason: 'aborted', content: 'partial answer ' });
      // A's sweep leaves B's live generation alone while B holds the lease.
      expect(await a.gateway.scheduler.sweep()).toBe(0);
    } finally {
      await b.dispose();
      await a.dispose();
    }
  });
});
