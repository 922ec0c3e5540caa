/**
 * A marker write that fails (the kv briefly unreachable) is retried in the background: streaming
 * holds the `done` chunk until the marker exists, up to its long FINAL_CHUNK_WAIT_MS, so a marker
 * lost for good would hold a finished stream that long.
 */
import { createLogger } from '@chatgraph/kit';
import type { EventDelivery } from '@chatgraph/kit/events';
import { createEmbeddedKv, KvUnavailableError, type KvStore } from '@chatgraph/kit/kv';
import { aiGenerationV1, tokenStreamAppliedKey } from '@chatgraph/schema';
import { outcomeAppliedMarker } from '../src/outcomeApplied';

let kv: KvStore;

beforeAll(async () => {
  kv = createEmbeddedKv({ logger: createLogger({ name: 'kv', level: 'silent' }) });
  await kv.start();
});

afterAll(async () => {
  await kv.stop();
});

/** `kv` whose first `failures` appends fail as an unreachable kv does. */
function flakyKv(failures: number): { kv: KvStore; attempts: () => number } {
  let attempts = 0;
  const flaky = Object.create(kv) as KvStore;
  flaky.append = async (...args: Parameters<KvStore['append']>) => {
    attempts++;
    if (attempts <= failures) throw new KvUnavailableError('kv unavailable (test)');
    return kv.append(...args);
  };
  return { kv: flaky, attempts: () => attempts };
}

function completedDelivery(streamId: string): EventDelivery {
  const event = aiGenerationV1.create(
    'generation.completed',
    { conversationId: 'c1', messageId: 'm1', streamId, ownerId: 'alice' },
    { content: 'done', finishReason: 'stop', model: 'local-demo', usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 } },
  );
  return { topic: aiGenerationV1.topic, partition: 0, offset: '0', key: 'c1', event, headers: {}, groupId: 'test', attempt: 1 };
}

it('writes the marker once the kv answers again, without holding the delivery', async () => {
  const flaky = flakyKv(2);
  const mark = outcomeAppliedMarker({
    kv: flaky.kv,
    ttlMs: 60_000,
    logger: createLogger({ name: 'test', level: 'silent' }),
    retryDelaysMs: [10, 10, 10],
  });
  // Resolves after the first (failed) attempt: the partition is not blocked on the kv.
  await mark(completedDelivery('s-retry'));
  expect(flaky.attempts()).toBe(1);
  const entries = [];
  for await (const entry of kv.follow(tokenStreamAppliedKey('s-retry'), { signal: AbortSignal.timeout(10_000) })) {
    entries.push(entry.fields);
    break;
  }
  expect(entries).toEqual([{ event: 'generation.completed' }]);
  expect(flaky.attempts()).toBe(3);
});

it("gives up after its retries (the final chunk is then released by streaming's bound)", async () => {
  const flaky = flakyKv(100);
  const mark = outcomeAppliedMarker({
    kv: flaky.kv,
    ttlMs: 60_000,
    logger: createLogger({ name: 'test', level: 'silent' }),
    retryDelaysMs: [5, 5],
  });
  await mark(completedDelivery('s-lost'));
  while (flaky.attempts() < 3) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(flaky.attempts()).toBe(3);
  expect(await kv.read(tokenStreamAppliedKey('s-lost'), { after: 0, count: 1 })).toEqual([]);
});
