import { newId } from '@chatgraph/kit';
import type { DocumentStore } from '@chatgraph/kit/store';
import { insertWithOutbox, PROCESSED_EVENTS } from '@chatgraph/kit/events';
import { startTempStore, type TempStore } from '@chatgraph/test-support';
import { generationFailed } from '../src/outboxEvents';
import { pruneOldGenerations } from '../src/domain/retention';
import { aiGatewayCollections, type GenerationDoc } from '../src/store';
import { newSubject } from './harness';

let temp: TempStore;
let store: DocumentStore;
beforeAll(async () => {
  temp = await startTempStore('ai-gateway-retention');
  store = temp.store;
});
afterAll(() => temp.dispose());

it('prunes ended generations and processed ids older than the retention, never one with events still to publish', async () => {
  const collections = aiGatewayCollections(store);
  const old = new Date('2020-01-01T00:00:00Z');
  const cutoff = new Date('2021-01-01T00:00:00Z');
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
  const doc = (subject: ReturnType<typeof newSubject>, extra: Partial<GenerationDoc>): GenerationDoc => ({
    _id: newId(),
    ...subject,
    ...base,
    state: 'done',
    streamClosed: true,
    ...extra,
  });
  const [done, pending, unclosed, running, recent] = [newSubject(), newSubject(), newSubject(), newSubject(), newSubject()];
  await collections.generations.insertMany([
    doc(done, {}),
    insertWithOutbox(doc(pending, {}), [
      generationFailed({ ...pending, model: 'local-demo' }, { error: 'x', text: '', finishReason: 'error' }),
    ]),
    doc(unclosed, { streamClosed: false }),
    doc(running, { state: 'running', endedAt: null, outcome: null, streamClosed: false }),
    doc(recent, { endedAt: new Date('2022-01-01T00:00:00Z') }),
  ]);
  const processed = store.collection(PROCESSED_EVENTS);
  await processed.insertMany([
    { _id: 'g:old', groupId: 'g', eventId: 'old', processedAt: old },
    { _id: 'g:new', groupId: 'g', eventId: 'new', processedAt: new Date('2022-01-01T00:00:00Z') },
  ]);

  expect(await pruneOldGenerations(store, collections, cutoff)).toBe(1);
  const left = await collections.generations.find({});
  expect(left.map((d) => d.streamId).sort()).toEqual([pending, unclosed, running, recent].map((s) => s.streamId).sort());
  expect((await processed.find({})).map((p) => p._id)).toEqual(['g:new']);
});
