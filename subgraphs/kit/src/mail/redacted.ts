import type { Logger } from '../logger';
import type { Mailer } from './port';

/**
 * A mailer for deployments without a mail server (`MAILER=log-redacted`): nothing is sent or
 * kept, and the log line says only who would have received which kind of mail — never the
 * subject, body or link. Account flows still work; their mailed links simply never arrive.
 */
export function createRedactedLogMailer(options: { logger: Logger }): Mailer {
  return {
    async send(mail) {
      options.logger.info({ mail: { to: mail.to, kind: mail.kind ?? null } }, 'mail not sent (MAILER=log-redacted)');
    },
  };
}
