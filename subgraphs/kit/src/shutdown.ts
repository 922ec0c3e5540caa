import type { Logger } from './logger';

/**
 * Drains on the first SIGTERM or SIGINT: logs `draining`, awaits `stop`, then exits 0 (1 with
 * `unclean shutdown` logged when `stop` rejects). Later signals are ignored while draining, so a
 * second Ctrl-C cannot cut a drain short.
 */
export function onShutdownSignals(logger: Logger, stop: () => Promise<void>): void {
  let exiting = false;
  const shutdown = (signal: string): void => {
    if (exiting) return;
    exiting = true;
    logger.info({ signal }, 'draining');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
