/**
 * Where a generated title goes relative to the outcome (generationRunner.ts): asked for alongside
 * the answer and, when ready in time, written in the outcome's own outbox write with
 * `title.generated` first — so conversation has applied the title by the time it marks the
 * outcome applied and streaming releases the final chunk. A title later than DEFAULT_TITLE_WAIT_MS
 * is still written, after the outcome; an answer that does not complete gets none.
 */
import { defaultProvider } from '../src/deployments';
import type { ProviderSpec } from '../src/catalog';
import { DEFAULT_TITLE_WAIT_MS } from '../src/domain/generationRunner';
import {
  collectEvents,
  eventsOf,
  eventually,
  newSubject,
  readStream,
  requestGeneration,
  startAiGateway,
  type CollectedEvent,
  type Harness,
} from './harness';
import { startFakeOpenAI, type FakeOpenAI } from './support/fakeOpenAI';
import { fakeCatalog } from './support/catalogs';

let fake: FakeOpenAI;
let h: Harness;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  const catalog = fakeCatalog(
    fake.baseURL,
    { chat: [{ model: 'chat-primary', priority: 1 }], cheap: [{ model: 'title-model' }] },
    { titleModel: 'cheap' },
  );
  h = await startAiGateway({ catalog, providerFactory: (spec: ProviderSpec) => defaultProvider(spec, 0), env: { RETRY_ATTEMPTS: '1' } });
});

afterAll(async () => {
  await h?.dispose();
  await fake?.close();
});

const typesOf = (events: CollectedEvent[], streamId: string): string[] => eventsOf(events, streamId).map((e) => e.type);

it('writes title.generated before generation.completed, both before the done entry', async () => {
  fake.script('chat-primary', { text: 'Rockets burn fuel very fast to climb.', chunkIntervalMs: 20 });
  fake.script('title-model', { text: 'Rocket ascent' });
  const events = await collectEvents(h);
  const subject = newSubject();
  await requestGeneration(h, subject, { model: 'chat', generateTitle: true });
  const types = await eventually(
    async () => typesOf(events, subject.streamId),
    (t) => t.includes('generation.completed'),
  );
  expect(types.filter((t) => t !== 'generation.requested')).toEqual(['generation.started', 'title.generated', 'generation.completed']);
  expect(eventsOf(events, subject.streamId, 'title.generated')[0]?.payload).toEqual({ title: 'Rocket ascent', model: 'cheap' });
  // The title was asked for while the answer streamed, not after it.
  expect(fake.requestsFor('title-model')).toHaveLength(1);
  const doc = await h.collections.generations.findOne({ streamId: subject.streamId });
  expect(doc).toMatchObject({ outcome: 'COMPLETE', title: 'Rocket ascent' });
  expect((await readStream(h.kv, subject.streamId)).at(-1)?.entry.type).toBe('done');
});

it(`still writes a title slower than ${DEFAULT_TITLE_WAIT_MS} ms, after the outcome`, async () => {
  fake.script('chat-primary', { text: 'Quick answer.' });
  fake.script('title-model', { text: 'Slow title', firstChunkDelayMs: DEFAULT_TITLE_WAIT_MS + 500 });
  const events = await collectEvents(h);
  const subject = newSubject();
  await requestGeneration(h, subject, { model: 'chat', generateTitle: true });
  const types = await eventually(
    async () => typesOf(events, subject.streamId),
    (t) => t.includes('title.generated'),
    1000,
  );
  expect(types.filter((t) => t !== 'generation.requested')).toEqual(['generation.started', 'generation.completed', 'title.generated']);
});

it('gives an answer that does not complete no title', async () => {
  fake.script('chat-primary', { text: 'alpha beta gamma', failAfterChunks: 1 });
  fake.script('title-model', { text: 'Never written' });
  const events = await collectEvents(h);
  const subject = newSubject();
  await requestGeneration(h, subject, { model: 'chat', generateTitle: true });
  await eventually(
    async () => typesOf(events, subject.streamId),
    (t) => t.includes('generation.failed'),
  );
  // A later generation's outcome passes through the same partition: by then a title would be there.
  const next = newSubject();
  next.conversationId = subject.conversationId;
  fake.script('chat-primary', { text: 'fine' });
  await requestGeneration(h, next, { model: 'chat' });
  await eventually(
    async () => typesOf(events, next.streamId),
    (t) => t.includes('generation.completed'),
  );
  expect(typesOf(events, subject.streamId)).not.toContain('title.generated');
  expect((await h.collections.generations.findOne({ streamId: subject.streamId }))?.title ?? null).toBeNull();
});
