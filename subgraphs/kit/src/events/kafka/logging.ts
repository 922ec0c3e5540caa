import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../../logger';

/**
 * Routes kafkajs's own log lines into the service's pino logger, so broker trouble shows up
 * next to the rest with the same fields. kafkajs logs expected trouble (a handler error it never
 * sees, a rebalance) at ERROR; we keep its levels but tag the lines `kafkajs`.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const entry = { kafkajs: true, ...fields };
      if (level === logLevel.ERROR) logger.error(entry, message);
      else if (level === logLevel.WARN) logger.warn(entry, message);
      else if (level === logLevel.INFO) logger.info(entry, message);
      else logger.debug(entry, message);
    };
}
