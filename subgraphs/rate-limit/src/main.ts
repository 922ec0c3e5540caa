import { createLogger, onShutdownSignals } from '@chatgraph/kit';
import { documentStoreFromConfig } from '@chatgraph/kit/store';
import { eventBusFromConfig } from '@chatgraph/kit/events';
import { kvStoreFromConfig } from '@chatgraph/kit/kv';
import { loadRateLimitConfig } from './config';
import { buildRateLimit } from './server';

/** Runs rate-limit on its own: validated config, the configured store and bus, drained on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadRateLimitConfig(process.env);
  const logger = createLogger({ name: 'rate-limit', level: config.LOG_LEVEL });
  const store = documentStoreFromConfig(config, 'rate-limit', logger);
  const bus = eventBusFromConfig(config, 'rate-limit', logger);
  const kv = kvStoreFromConfig(config, logger);
  await store.start();
  await bus.start();
  await kv.start();
  const rateLimit = buildRateLimit({ store, bus, kv, config, logger });
  await rateLimit.start();

  onShutdownSignals(logger, async () => {
    await rateLimit.stop();
    await kv.stop();
    await bus.stop();
    await store.stop();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
