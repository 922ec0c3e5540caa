import { createLogger, onShutdownSignals, refuseStartUnless } from '@chatgraph/kit';
import { documentStoreFromConfig } from '@chatgraph/kit/store';
import { eventBusFromConfig } from '@chatgraph/kit/events';
import { kvStoreFromConfig } from '@chatgraph/kit/kv';
import { loadConversationConfig } from './config';
import { buildConversation } from './server';

/** Runs conversation on its own: validated config, the configured store and bus, drained on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConversationConfig(process.env);
  const logger = createLogger({ name: 'conversation', level: config.LOG_LEVEL });
  const store = documentStoreFromConfig(config, 'conversation', logger);
  const bus = eventBusFromConfig(config, 'conversation', logger);
  const kv = kvStoreFromConfig(config, logger);
  // Any failure to open refuses the start with one message (which dependency, what, how to repair) and exit code 1.
  await refuseStartUnless('conversation', 'document store', () => store.start());
  await refuseStartUnless('conversation', 'event bus', () => bus.start());
  await refuseStartUnless('conversation', 'key-value store', () => kv.start());
  const conversation = buildConversation({ store, bus, kv, config, logger });
  await conversation.start();

  onShutdownSignals(logger, async () => {
    await conversation.stop();
    await bus.stop();
    await kv.stop();
    await store.stop();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
