import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger';
import type { Mail, Mailer } from './port';

export interface FileMailerOptions {
  /** The service's data directory; mails go to `<dataDir>/mail/outbox.jsonl`. */
  dataDir: string;
  logger: Logger;
  /** Recorded as the sender, as the SMTP adapter would. */
  from?: string;
}

/** One line of `outbox.jsonl`. */
export interface OutboxEntry extends Mail {
  from: string | null;
  sentAt: string;
}

/**
 * The embedded mailer: nothing leaves the machine. Each mail is appended to an outbox file (the
 * developer's inbox: the link in it is what continues a sign-up locally) that tests and tools can
 * read. The log line names only the recipient and the kind of mail: logs are shipped and kept
 * far more widely than a data directory, and a password-reset link there is a way into the account.
 * Appends are chained so concurrent sends never interleave lines.
 */
export function createFileMailer(options: FileMailerOptions): Mailer & { readonly outboxPath: string } {
  const dir = path.join(options.dataDir, 'mail');
  const outboxPath = path.join(dir, 'outbox.jsonl');
  let tail: Promise<void> = mkdir(dir, { recursive: true }).then(() => undefined);
  return {
    outboxPath,
    send(mail) {
      const entry: OutboxEntry = {
        from: options.from ?? null,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        ...(mail.kind ? { kind: mail.kind } : {}),
        sentAt: new Date().toISOString(),
      };
      const write = tail.then(() => appendFile(outboxPath, `${JSON.stringify(entry)}\n`, 'utf8'));
      // The chain must survive one failed write; the caller still sees its own failure.
      tail = write.catch(() => undefined);
      return write.then(() => {
        options.logger.info({ mail: { to: entry.to, kind: entry.kind ?? null }, outbox: outboxPath }, 'mail written to the local outbox');
      });
    },
    async close() {
      await tail;
    },
  };
}
