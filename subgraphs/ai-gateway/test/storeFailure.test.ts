import { createLogger } from '@chatgraph/kit';
import type { DocumentStore } from '@chatgraph/kit/store';
import { createEmbeddedKv } from '@chatgraph/kit/kv';
import { aiGenerationV1 } from '@chatgraph/schema';
import type { GenerationRequested } from '../src/events';
import type { GenerationJob, GenerationRunner } from '../src/domain/generationRunner';
import { GenerationScheduler } from '../src/domain/generations';
import type { AiGatewayCollections } from '../src/store';
import { newSubject } from './harness';

/**
 * The document server restarting under ai-gateway (found by the fault-injection suite): a request
 * whose generation document cannot be stored while its job waits in the queue must fail that
 * request (the bus redelivers it), not crash the process with an unhandled rejection.
 */
describe('a document store failure while a generation is queued', () => {
  it('rejects the request and leaves no unhandled rejection behind', async () => {
    const kv = createEmbeddedKv({ logger: createLogger({ name: 'test', level: 'silent' }) });
    await kv.start();
    // The first job holds the only slot until it is aborted; the second waits in the queue.
    const runner = {
      run: (job: GenerationJob) =>
        new Promise<void>((resolve) =>
          job.controller.signal.aborted ? resolve() : job.controller.signal.addEventListener('abort', () => resolve()),
        ),
    } as unknown as GenerationRunner;
    let inserts = 0;
    const collections = {
      generations: {
        // The first insert succeeds, the second fails as a restarting server does.
        insertOne: async () => {
          inserts += 1;
          if (inserts > 1) throw new Error('connection pool cleared: the document server went away');
        },
      },
    } as unknown as AiGatewayCollections;
    const scheduler = new GenerationScheduler({
      kv,
      store: {} as DocumentStore,
      collections,
      runner,
      logger: createLogger({ name: 'test', level: 'silent' }),
      now: () => new Date(),
      maxConcurrent: 1,
      maxRunningPerUser: 1,
      maxQueued: 10,
      leaseMs: 30_000,
      heartbeatMs: 10_000,
      sweepMs: 10_000,
      retentionMs: 60_000,
      drainTimeoutMs: 0,
      stream: { maxLen: 100, retentionMs: 60_000 },
      eventsQueued: () => undefined,
    });
    await scheduler.start();
    const request = (): GenerationRequested =>
      aiGenerationV1.create('generation.requested', newSubject(), {
        model: 'local-demo',
        messages: [{ role: 'USER' as const, content: 'hi' }],
        droppedMessages: 0,
        estimatedPromptTokens: 1,
      }) as GenerationRequested;

    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await scheduler.accept(request());
      await expect(scheduler.accept(request())).rejects.toThrow('connection pool cleared');
      // Unhandled rejections are reported after the microtasks of the turn they happened in.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await scheduler.stop();
      await kv.stop();
    }
  });
});
