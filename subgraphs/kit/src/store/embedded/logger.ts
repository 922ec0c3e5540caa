/** The logging the embedded store needs; a pino logger fits. */
export interface EmbeddedStoreLogger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

export const silentLogger: EmbeddedStoreLogger = {
  warn: () => undefined,
  info: () => undefined,
};
