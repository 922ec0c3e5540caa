import { createLogger, onShutdownSignals, refuseStartUnless } from '@chatgraph/kit';
import { kvStoreFromConfig } from '@chatgraph/kit/kv';
import { eventBusFromConfig } from '@chatgraph/kit/events';
import { loadStreamingConfig } from './config';
import { buildStreaming } from './server';

/** Runs streaming on its own: validated config, the configured kv store and bus, drained on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadStreamingConfig(process.env);
  const logger = createLogger({ name: 'streaming', level: config.LOG_LEVEL });
  const kv = kvStoreFromConfig(config, logger);
  const bus = eventBusFromConfig(config, 'streaming', logger);
  await refuseStartUnless('streaming', 'key-value store', () => kv.start());
  await refuseStartUnless('streaming', 'event bus', () => bus.start());
  const streaming = buildStreaming({ kv, bus, config, logger });
  await streaming.start();

  onShutdownSignals(logger, async () => {
    await streaming.stop();
    await bus.stop();
    await kv.stop();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
