/** The logging the key-value adapters need; a pino logger fits. */
export interface KvLogger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

/** For tests and tools that do not care. */
export const silentKvLogger: KvLogger = {
  warn: () => undefined,
  info: () => undefined,
};
