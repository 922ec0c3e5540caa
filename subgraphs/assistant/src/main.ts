import { createLogger, onShutdownSignals } from '@chatgraph/kit';
import { documentStoreFromConfig } from '@chatgraph/kit/store';
import { eventBusFromConfig } from '@chatgraph/kit/events';
import { loadAssistantConfig } from './config';
import { buildAssistant } from './server';

/** Runs assistant on its own: validated config, the configured store and bus, drained on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadAssistantConfig(process.env);
  const logger = createLogger({ name: 'assistant', level: config.LOG_LEVEL });
  const store = documentStoreFromConfig(config, 'assistant', logger);
  const bus = eventBusFromConfig(config, 'assistant', logger);
  await store.start();
  await bus.start();
  const assistant = buildAssistant({ store, bus, config, logger });
  await assistant.start();

  onShutdownSignals(logger, async () => {
    await assistant.stop();
    await bus.stop();
    await store.stop();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
