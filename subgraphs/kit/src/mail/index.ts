import type { Logger } from '../logger';
import { createFileMailer } from './file';
import type { Mailer } from './port';
import { createRedactedLogMailer } from './redacted';
import { createSmtpMailer, type SmtpTransportFactory } from './smtp';

export * from './port';
export * from './file';
export * from './smtp';
export * from './recording';
export * from './redacted';

/** The adapters `createMailer` can build; `MAILER_KINDS` is the list config parsers accept. */
export const MAILER_KINDS = ['file', 'smtp', 'log-redacted'] as const;
export type MailerKind = (typeof MAILER_KINDS)[number];

export interface MailerConfig {
  kind: MailerKind;
  /** Where the `file` adapter keeps its outbox. */
  dataDir: string;
  /** Required for `smtp`. */
  smtpUrl?: string;
  from: string;
  logger: Logger;
  /** Required for `smtp`: `nodemailer.createTransport`. */
  createSmtpTransport?: SmtpTransportFactory;
}

/** Picks the mailer adapter from configuration (`MAILER=file|smtp|log-redacted`). */
export function createMailer(config: MailerConfig): Mailer {
  switch (config.kind) {
    case 'file':
      return createFileMailer({ dataDir: config.dataDir, logger: config.logger, from: config.from });
    case 'smtp':
      if (!config.smtpUrl) throw new Error('MAILER=smtp needs SMTP_URL');
      if (!config.createSmtpTransport) throw new Error('MAILER=smtp needs an SMTP transport factory (nodemailer.createTransport)');
      return createSmtpMailer({ url: config.smtpUrl, from: config.from, createTransport: config.createSmtpTransport });
    case 'log-redacted':
      return createRedactedLogMailer({ logger: config.logger });
  }
}
