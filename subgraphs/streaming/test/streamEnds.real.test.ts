/**
 * `watched` across instances, on a real Redis (KV_STORE=redis at REDIS_URL, default CI's
 * `scripts/infra/redis.sh up` port 6390): two streaming instances share one Redis, as in the
 * distributed deployment; the owner's tab is on instance A while instance B consumes the
 * generation's outcome and announces the end. An unreachable Redis fails the test: nothing skips.
 */
import { aiGenerationV1, streamingStreamV1, type StreamingStreamEvent } from '@chatgraph/schema';
import type { Subscription } from '@chatgraph/kit/events';
import { eventually, realRedisEnv, startStreaming, userPrincipal, type Harness, type TestGeneration } from './harness';

describe('two streaming instances on one Redis: who watched the end', () => {
  let a: Harness;
  let b: Harness;
  let tap: Subscription;
  const ends: StreamingStreamEvent[] = [];
  beforeAll(async () => {
    const env = realRedisEnv();
    a = await startStreaming({ env });
    b = await startStreaming({ env });
    // Each instance has an embedded bus of its own here: the outcome is published on B's only, so B decides.
    tap = await b.bus.subscribe({
      groupId: 'test.stream-ends',
      topics: [streamingStreamV1.topic],
      handler: async (delivery) => {
        ends.push(streamingStreamV1.validate(delivery.event));
      },
    });
  });
  afterAll(async () => {
    await tap?.stop();
    await a?.dispose();
    await b?.dispose();
  });

  async function endOnB(g: TestGeneration): Promise<StreamingStreamEvent | undefined> {
    const event = aiGenerationV1.create(
      'generation.completed',
      { conversationId: g.conversationId, messageId: g.messageId, streamId: g.streamId, ownerId: g.ownerId },
      { content: 'Done.', finishReason: 'stop', model: g.model, usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 } },
    );
    await b.bus.publish(aiGenerationV1.topic, [{ key: g.conversationId, event }]);
    return eventually(
      () => ends.find((e) => e.subject.streamId === g.streamId),
      (e) => e !== undefined,
    );
  }

  it('a tab attached on A at the end makes the end B announces watched', async () => {
    const g = a.generation('alice');
    await g.start();
    const tab = a.subscribe(userPrincipal('alice'), g.streamId);
    await tab.until((c) => c.chunks.length === 1);
    await g.done('COMPLETE', { applied: false });
    expect((await endOnB(g))?.payload.watched).toBe(true);
    tab.unsubscribe();
  });

  it('a tab on A that received the end and completed still counts; no tab anywhere does not', async () => {
    const seen = a.generation('alice');
    await seen.start();
    const tab = a.subscribe(userPrincipal('alice'), seen.streamId);
    await tab.until((c) => c.chunks.length === 1);
    await seen.done('COMPLETE');
    await tab.ended();
    expect((await endOnB(seen))?.payload.watched).toBe(true);

    const unseen = a.generation('alice');
    await unseen.start();
    await unseen.done('COMPLETE');
    expect((await endOnB(unseen))?.payload.watched).toBe(false);
  });
});
