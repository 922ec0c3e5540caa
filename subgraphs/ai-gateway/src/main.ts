import path from 'node:path';
import { createLogger, onShutdownSignals, refuseStartUnless } from '@chatgraph/kit';
import { documentStoreFromConfig } from '@chatgraph/kit/store';
import { eventBusFromConfig } from '@chatgraph/kit/events';
import { kvStoreFromConfig } from '@chatgraph/kit/kv';
import { catalogFromConfig } from './catalog';
import { loadAiGatewayConfig } from './config';
import { searchIndexFromConfig } from '@chatgraph/kit/search';
import { fileChunkIndexDefinition } from './tools/fileChunks';
import { buildAiGateway } from './server';

/** Runs ai-gateway on its own: validated config and catalog, the configured adapters, drained on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadAiGatewayConfig(process.env);
  const catalog = catalogFromConfig(config, process.env);
  const logger = createLogger({ name: 'ai-gateway', level: config.LOG_LEVEL });
  const store = documentStoreFromConfig(config, 'ai-gateway', logger);
  const bus = eventBusFromConfig(config, 'ai-gateway', logger);
  const kv = kvStoreFromConfig(config, logger);
  // Any failure to open refuses the start with one message (which dependency, what, how to repair) and exit code 1.
  await refuseStartUnless('ai-gateway', 'document store', () => store.start());
  await refuseStartUnless('ai-gateway', 'event bus', () => bus.start());
  await refuseStartUnless('ai-gateway', 'key-value store', () => kv.start());
  const fileChunkIndex = searchIndexFromConfig(config, fileChunkIndexDefinition(config.FILE_CHUNK_INDEX_NAME), {
    dataDir: path.join(config.DATA_DIR, 'ai-gateway'),
    logger,
  });
  const aiGateway = buildAiGateway({ store, bus, kv, config, logger, catalog, fileChunkIndex });
  await aiGateway.start();
  logger.info({ models: catalog.models.map((m) => m.id) }, 'model catalog loaded');

  onShutdownSignals(logger, async () => {
    await aiGateway.stop();
    await kv.stop();
    await bus.stop();
    await store.stop();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
