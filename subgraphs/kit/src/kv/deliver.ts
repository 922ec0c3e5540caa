import type { AdapterLogger } from '../adapterLogger';
import type { MessageHandler } from './port';

/** Runs one handler; its failure is logged and stays its own. */
export function deliver(logger: AdapterLogger, handler: MessageHandler, message: string, channel: string): void {
  const report = (error: unknown): void => logger.warn({ err: error, channel }, 'kv message handler failed');
  try {
    const result = handler(message, channel);
    if (result instanceof Promise) result.catch(report);
  } catch (error) {
    report(error);
  }
}
