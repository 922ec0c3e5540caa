/** The logging every adapter needs (a pino logger fits); adapters take it so tests can pass a quiet one. */
export interface AdapterLogger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

/** For tests and tools that do not care. */
export const silentAdapterLogger: AdapterLogger = {
  warn: () => undefined,
  info: () => undefined,
};
