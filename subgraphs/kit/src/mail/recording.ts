import type { Mail, Mailer } from './port';

/** A mailer that keeps every mail in memory, for tests that need to read a link out of one. */
export interface RecordingMailer extends Mailer {
  readonly sent: Mail[];
  /** Mails sent to `to`, oldest first. */
  to(address: string): Mail[];
  clear(): void;
}

export function createRecordingMailer(): RecordingMailer {
  const sent: Mail[] = [];
  return {
    sent,
    async send(mail) {
      sent.push({ ...mail });
    },
    to(address) {
      return sent.filter((m) => m.to === address);
    },
    clear() {
      sent.length = 0;
    },
  };
}
