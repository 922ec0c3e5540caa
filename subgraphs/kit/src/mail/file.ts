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
 * The embedded mailer: nothing leaves the machine. Each mail is logged in full (the link or token
 * in it is what a developer needs to continue a sign-up locally) and appended to an outbox file
 * that tests and tools can read. Appends are chained so concurrent sends never interleave lines.
 */
export function createFileMailer(options: FileMailerOptions): Mailer & { readonly outboxPath: string } {
  const dir = path.join(options.dataDir, 'mail');
  const outboxPath = path.join(dir, 'outbox.jsonl');
  let tail: Promise<void> = mkdir(dir, { recursive: true }).then(() => undefined);
  return {
    outboxPath,
    send(mail) {
      const entry: OutboxEntry = { from: options.from ?? null, to: mail.to, subject: mail.subject, text: mail.text, sentAt: new Date().toISOString() };
      const write = tail.then(() => appendFile(outboxPath, `${JSON.stringify(entry)}\n`, 'utf8'));
      // The chain must survive one failed write; the caller still sees its own failure.
      tail = write.catch(() => undefined);
      return write.then(() => {
        options.logger.info({ mail: { to: entry.to, subject: entry.subject, body: entry.text }, outbox: outboxPath }, 'mail written to the local outbox');
      });
    },
    async close() {
      await tail;
    },
  };
}
