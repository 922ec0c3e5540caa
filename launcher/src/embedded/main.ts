import { createLogger, loadConfig, onShutdownSignals } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC } from './config';
import { startEmbedded } from './launch';

/** `pnpm start`: the router and every subgraph in one process, embedded adapters, data under DATA_DIR. */
async function main(): Promise<void> {
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, process.env);
  const logger = createLogger({ name: 'chatgraph', level: config.LOG_LEVEL });
  const stack = await startEmbedded(config);
  logger.info({ url: stack.url }, `ChatGraph is up: ${stack.url}`);
  // Printed plainly as well: the first thing a newcomer looks for.
  process.stdout.write(`\nChatGraph is up: ${stack.url}\n\n`);

  onShutdownSignals(logger, () => stack.stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
