/**
 * Applying a finished answer costs one durable write: the message update, which carries the
 * event's marker (`_appliedEvents`) and its `message.completed` outbox entry. The separate
 * `processed_events` marker would be a second write waited on per answer (issue 10: the
 * completion consumer must keep up with generation). A redelivery still changes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, newId } from '@chatgraph/kit';
import { createEmbeddedStore, type DocumentStore } from '@chatgraph/kit/store';
import { createEmbeddedEventBus, PROCESSED_EVENTS, type EventDelivery } from '@chatgraph/kit/events';
import { aiGenerationV1 } from '@chatgraph/schema';
import { CONSUMER_GROUP, generationResultHandler, subscribeGenerationResults } from '../src/events';
import { conversationCollections, type MessageDoc } from '../src/store';

const WRITES = new Set(['insertOne', 'insertMany', 'updateOne', 'updateMany', 'findOneAndUpdate', 'deleteOne', 'deleteMany']);

let dir: string;
let store: DocumentStore;
/** Write calls made through the store's collections, as `collection.method`. */
const writes: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'completion-writes-'));
  store = createEmbeddedStore({ dataDir: dir });
  const collection = store.collection.bind(store);
  store.collection = ((spec: Parameters<DocumentStore['collection']>[0]) => {
    const target = collection(spec) as unknown as Record<string, unknown>;
    return new Proxy(target, {
      get(object, property) {
        const value = object[property as string];
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (WRITES.has(String(property))) writes.push(`${spec.name}.${String(property)}`);
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      },
    });
  }) as unknown as DocumentStore['collection'];
  await store.start();
});

afterAll(async () => {
  await store.stop();
  rmSync(dir, { recursive: true, force: true });
});

function pendingAnswer(): MessageDoc {
  const at = new Date();
  return {
    _id: newId(),
    conversationId: newId(),
    ownerId: 'alice',
    parentId: null,
    role: 'ASSISTANT',
    content: '',
    fileIds: [],
    status: 'PENDING',
    streamId: newId(),
    model: 'local-demo',
    tokenCount: null,
    finishReason: null,
    feedback: null,
    depth: 1,
    createdAt: at,
    updatedAt: at,
  };
}

function completed(answer: Pick<MessageDoc, '_id' | 'conversationId' | 'streamId'>, content: string): EventDelivery {
  const subject = { conversationId: answer.conversationId, messageId: answer._id, streamId: answer.streamId ?? 's', ownerId: 'alice' };
  const event = aiGenerationV1.create('generation.completed', subject, {
    content,
    finishReason: 'stop',
    model: 'local-demo',
    usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
  });
  return {
    topic: aiGenerationV1.topic,
    partition: 0,
    offset: '0',
    key: answer.conversationId,
    event,
    headers: {},
    groupId: CONSUMER_GROUP,
    attempt: 1,
  };
}

it('applies a finished answer in one write, and a redelivery changes nothing', async () => {
  const collections = conversationCollections(store);
  const answer = pendingAnswer();
  await collections.messages.insertOne(answer);
  let queued = 0;
  const handler = generationResultHandler({
    store,
    collections,
    logger: createLogger({ name: 'test', level: 'silent' }),
    now: () => new Date(),
    eventsQueued: () => queued++,
  });
  const delivery = completed(answer, 'the answer');

  writes.length = 0;
  await handler(delivery);
  expect(writes).toEqual(['messages.updateOne']);
  const stored = await collections.messages.findById(answer._id);
  expect(stored).toMatchObject({ status: 'COMPLETE', content: 'the answer' });
  expect(stored?._outbox?.map((entry) => entry.event.type)).toEqual(['message.completed']);
  expect(queued).toBe(1);

  await handler({ ...delivery, attempt: 2 });
  const again = await collections.messages.findById(answer._id);
  expect(again).toEqual(stored);
  expect(queued).toBe(1);
});

it('still remembers a result it could not apply (a missing message), so a redelivery is skipped early', async () => {
  const collections = conversationCollections(store);
  const handler = generationResultHandler({
    store,
    collections,
    logger: createLogger({ name: 'test', level: 'silent' }),
    now: () => new Date(),
    eventsQueued: () => undefined,
  });
  const delivery = completed({ _id: 'no-such-message', conversationId: newId(), streamId: 's' }, 'orphan');
  writes.length = 0;
  await handler(delivery);
  expect(writes).toEqual(['processed_events.insertOne']);
  expect(await store.collection(PROCESSED_EVENTS).findById(`${CONSUMER_GROUP}:${delivery.event.id}`)).not.toBeNull();
});

it('applies the results of different conversations side by side, not one per partition at a time', async () => {
  // One at a time per partition, each result waited for its own commit: at most 3 (the partitions) shared one.
  const collections = conversationCollections(store);
  const answers = Array.from({ length: 12 }, () => pendingAnswer());
  await collections.messages.insertMany(answers);
  const bus = createEmbeddedEventBus({ dataDir: join(dir, 'bus') });
  await bus.start();
  try {
    await bus.publish(
      aiGenerationV1.topic,
      answers.map((answer) => {
        const { key, event } = completed(answer, `answer ${answer._id}`);
        return { key, event };
      }),
    );
    const handler = generationResultHandler({
      store,
      collections,
      logger: createLogger({ name: 'test', level: 'silent' }),
      now: () => new Date(),
      eventsQueued: () => undefined,
    });
    // Every result is held until all twelve are in hand at once (or the bounded wait gives up).
    let started = 0;
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let applied = 0;
    const subscription = await subscribeGenerationResults(bus, async (delivery) => {
      started++;
      await held;
      await handler(delivery);
      applied++;
    });
    const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
    for (let tries = 0; started < answers.length && tries < 500; tries++) await settle();
    const inHandAtOnce = started;
    release();
    for (let tries = 0; applied < answers.length && tries < 2000; tries++) await settle();
    await subscription.stop();
    expect(inHandAtOnce).toBe(answers.length);
    const stored = await collections.messages.findByIds(answers.map((answer) => answer._id));
    expect(stored.map((message) => message.status)).toEqual(answers.map(() => 'COMPLETE'));
  } finally {
    await bus.stop();
  }
});
