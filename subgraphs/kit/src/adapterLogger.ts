/**
 * The one logger type every adapter takes (document store, event bus, key-value, search, blob):
 * warnings and notices only, which a pino logger fits. Adapters take it, rather than a whole
 * `Logger`, so tests and tools can pass a quiet one.
 */
export interface AdapterLogger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

/** For tests and tools that do not care. */
export const silentAdapterLogger: AdapterLogger = {
  warn: () => undefined,
  info: () => undefined,
};
