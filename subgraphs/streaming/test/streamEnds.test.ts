import { aiGenerationV1, streamingStreamV1, type EventEnvelope, type StreamingStreamEvent } from '@chatgraph/schema';
import type { Subscription } from '@chatgraph/kit/events';
import { eventually, startStreaming, userPrincipal, type Harness, type TestGeneration } from './harness';

/** Plays ai-gateway publishing the generation's outcome (again: a redelivery). */
async function outcome(h: Harness, g: TestGeneration, event?: EventEnvelope): Promise<EventEnvelope> {
  const published =
    event ??
    aiGenerationV1.create(
      'generation.completed',
      { conversationId: g.conversationId, messageId: g.messageId, streamId: g.streamId, ownerId: g.ownerId },
      { content: 'The answer.', finishReason: 'stop', model: g.model, usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 } },
    );
  await h.bus.publish(aiGenerationV1.topic, [{ key: g.conversationId, event: published }]);
  return published;
}

describe('streaming.stream.v1 stream.ended', () => {
  let h: Harness;
  let tap: Subscription;
  const ends: StreamingStreamEvent[] = [];
  beforeAll(async () => {
    h = await startStreaming();
    tap = await h.bus.subscribe({
      groupId: 'test.stream-ends',
      topics: [streamingStreamV1.topic],
      handler: async (delivery) => {
        ends.push(streamingStreamV1.validate(delivery.event));
      },
    });
  });
  afterAll(async () => {
    await tap.stop();
    await h.dispose();
  });

  const endsOf = (g: TestGeneration) => ends.filter((e) => e.subject.streamId === g.streamId);
  const announced = async (g: TestGeneration, count = 1): Promise<StreamingStreamEvent[]> =>
    eventually(
      () => endsOf(g),
      (list) => list.length >= count,
    );

  it('an answer nobody subscribed to ended unwatched', async () => {
    const g = h.generation('owner-1');
    await g.start();
    await g.delta('The answer.');
    await g.done();
    await outcome(h, g);
    const [ended] = await announced(g);
    expect(ended).toMatchObject({
      type: 'stream.ended',
      subject: { streamId: g.streamId, conversationId: g.conversationId, messageId: g.messageId, ownerId: 'owner-1' },
      payload: { status: 'COMPLETE', watched: false, preview: 'The answer.' },
    });
    // notification makes `answer:<id>` of it: only letters, digits, `:`, `_` and `-` pass its id check.
    expect(ended?.id).toMatch(/^[A-Za-z0-9:_-]+$/);
  });

  it('an answer whose end the owner received was watched, also once the subscription completed', async () => {
    const g = h.generation('owner-2');
    await g.start();
    const tab = h.subscribe(userPrincipal('owner-2'), g.streamId);
    await tab.until((c) => c.chunks.length === 1);
    await g.delta('The answer.');
    await g.done();
    await tab.ended();
    expect(tab.chunks.at(-1)?.done).toBe(true);
    await eventually(
      () => h.streaming.service.openSubscriptions,
      (n) => n === 0,
    );
    await outcome(h, g);
    expect((await announced(g))[0]?.payload.watched).toBe(true);
  });

  it('a subscription still attached when the outcome comes counts as watching', async () => {
    const g = h.generation('owner-3');
    await g.start();
    const tab = h.subscribe(userPrincipal('owner-3'), g.streamId);
    await tab.until((c) => c.chunks.length === 1);
    // The done chunk is held (no applied marker): the subscription is attached at the end.
    await g.done('FAILED', { error: 'provider down', applied: false });
    const failed = aiGenerationV1.create(
      'generation.failed',
      { conversationId: g.conversationId, messageId: g.messageId, streamId: g.streamId, ownerId: g.ownerId },
      { error: 'provider down' },
    );
    await outcome(h, g, failed);
    expect((await announced(g))[0]?.payload).toEqual({ status: 'FAILED', watched: true, preview: 'provider down' });
    tab.unsubscribe();
  });

  it('an answer whose client left before the end ended unwatched; a redelivery announces the same event', async () => {
    const g = h.generation('owner-4');
    await g.start();
    const tab = h.subscribe(userPrincipal('owner-4'), g.streamId);
    await tab.until((c) => c.chunks.length === 1);
    tab.unsubscribe();
    await eventually(
      () => h.streaming.service.openSubscriptions,
      (n) => n === 0,
    );
    // The counter's -1 follows the subscription's end without being awaited by it: wait for it.
    await eventually(
      () => h.kv.get(`tokens:${g.streamId}:watchers`),
      (value) => value === '0',
    );
    await g.delta('The answer.');
    await g.done();
    const event = await outcome(h, g);
    await announced(g);
    await outcome(h, g, event);
    const list = await announced(g, 2);
    expect(list.map((e) => e.payload.watched)).toEqual([false, false]);
    expect(list[0]?.id).toBe(list[1]?.id);
  });
});
