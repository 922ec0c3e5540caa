/** The logging search adapters need; a pino logger fits. */
export interface SearchLogger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

export const silentSearchLogger: SearchLogger = {
  warn: () => undefined,
  info: () => undefined,
};
