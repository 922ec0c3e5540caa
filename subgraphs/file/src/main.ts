import { createLogger, onShutdownSignals } from '@chatgraph/kit';
import { documentStoreFromConfig } from '@chatgraph/kit/store';
import { eventBusFromConfig } from '@chatgraph/kit/events';
import { blobStoreFromConfig } from '@chatgraph/kit/blob';
import { kvStoreFromConfig } from '@chatgraph/kit/kv';
import { loadFileConfig, processorOptions } from './config';
import { createFileProcessor } from './processing';
import { buildFile } from './server';

/** Runs file on its own: validated config, the configured store, bus and blob store, drained on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadFileConfig(process.env);
  const logger = createLogger({ name: 'file', level: config.LOG_LEVEL });
  const store = documentStoreFromConfig(config, 'file', logger);
  const bus = eventBusFromConfig(config, 'file', logger);
  const blobs = blobStoreFromConfig(config, 'file', logger);
  const kv = kvStoreFromConfig(config, logger);
  await store.start();
  await bus.start();
  await blobs.start();
  await kv.start();
  const file = buildFile({ store, bus, blobs, kv, processor: createFileProcessor(processorOptions(config)), config, logger });
  await file.start();

  onShutdownSignals(logger, async () => {
    await file.stop();
    await blobs.stop();
    await kv.stop();
    await bus.stop();
    await store.stop();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
