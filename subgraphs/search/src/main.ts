import path from 'node:path';
import { createLogger, onShutdownSignals } from '@chatgraph/kit';
import { eventBusFromConfig } from '@chatgraph/kit/events';
import { searchIndexFromConfig } from '@chatgraph/kit/search';
import { loadSearchConfig } from './config';
import { searchIndexDefinition } from './definition';
import { embedderFromConfig } from './embeddingConfig';
import { buildSearch } from './server';

/** Runs search on its own: validated config, the configured bus and index, drained on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadSearchConfig(process.env);
  const logger = createLogger({ name: 'search', level: config.LOG_LEVEL });
  const bus = eventBusFromConfig(config, 'search', logger);
  const embedder = embedderFromConfig(config, logger);
  const index = searchIndexFromConfig(config, searchIndexDefinition(config.SEARCH_INDEX_NAME, embedder.dims), {
    dataDir: path.join(config.DATA_DIR, 'search'),
    logger,
  });
  await bus.start();
  const search = buildSearch({ index, embedder, bus, config, logger });
  await search.start();

  onShutdownSignals(logger, async () => {
    await search.stop();
    await bus.stop();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
