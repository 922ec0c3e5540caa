import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Schema } from 'mongoose';
import { createLogger, StartRefusedError } from '@chatgraph/kit';
import { createEmbeddedStore, documentStoreFromConfig } from '@chatgraph/kit/store';
import { eventBusFromConfig } from '@chatgraph/kit/events';
import { createEmbeddedKv } from '@chatgraph/kit/kv';
import { loadAiGatewayConfig } from '../src/config';
import { buildAiGateway } from '../src/server';
import { SECRET, testCatalog } from './harness';

/**
 * `start()` refuses when a collection the service uses cannot open, even though the store was
 * started before the service registered its collections (as main.ts does: those are prepared in
 * the background): it awaits their preparation, and neither listens nor consumes.
 */
describe('ai-gateway start over a collection that cannot open', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'ai-gateway-refusal-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('rejects with StartRefusedError naming the collection, and does not listen', async () => {
    // Two generations sharing a stream id: `generations` declares `streamId` unique.
    const writer = createEmbeddedStore({ dataDir: path.join(dataDir, 'ai-gateway') });
    const loose = writer.collection({
      name: 'generations',
      schema: new Schema({ _id: String, streamId: String }, { versionKey: false, strict: false }),
    });
    await writer.start();
    await loose.insertMany([
      { _id: 'g1', streamId: 'same' },
      { _id: 'g2', streamId: 'same' },
    ]);
    await writer.stop();

    const config = loadAiGatewayConfig({ INTERNAL_SIGNING_SECRET: SECRET, DATA_DIR: dataDir });
    const logger = createLogger({ name: 'ai-gateway', level: 'silent' });
    const store = documentStoreFromConfig(config, 'ai-gateway', logger);
    const bus = eventBusFromConfig(config, 'ai-gateway', logger);
    const kv = createEmbeddedKv({ logger });
    await store.start();
    await bus.start();
    await kv.start();
    const gateway = buildAiGateway({ store, bus, kv, config, logger, catalog: testCatalog() });
    try {
      const refusal = await gateway.start(0).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(StartRefusedError);
      expect((refusal as Error).message).toMatch(
        /^ai-gateway refused to start: its document store cannot open: embedded store cannot open collection generations: cannot build unique index streamId_1/,
      );
      expect((refusal as Error).message).toMatch(/\.\/chatgraph check --repair/);
      expect(() => gateway.url).toThrow(/not listening/);
    } finally {
      await gateway.stop();
      await kv.stop();
      await bus.stop();
      await store.stop();
    }
  });
});
