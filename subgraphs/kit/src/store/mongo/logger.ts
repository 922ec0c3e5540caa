/** The logging the MongoDB store needs; a pino logger fits. */
export interface MongoStoreLogger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

export const silentLogger: MongoStoreLogger = {
  warn: () => undefined,
  info: () => undefined,
};
