import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@chatgraph/kit';

/** A logger whose JSON lines are kept in memory, to assert what was logged (and what was not). */
export function captureLogs(name = 'test'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { logger: createLogger({ name, level: 'debug', destination: stream }), lines };
}

/** A logger that writes nothing. */
export function silentLogger(name = 'test'): Logger {
  return createLogger({ name, level: 'silent' });
}
