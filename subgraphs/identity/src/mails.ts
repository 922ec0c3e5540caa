import type { Logger, Mail, Mailer } from '@chatgraph/kit';

/**
 * Sends account mails in the background. The request never waits on the mail server: a slow or
 * failing server neither slows nor fails sign-up, and response times do not reveal whether a
 * mail was sent (password resets). Failures are logged. `settled()` lets shutdown and tests
 * wait for mails in flight.
 */
export class MailOutbox {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly mailer: Mailer,
    private readonly logger: Logger,
  ) {}

  post(kind: string, mail: Mail): void {
    const sending: Promise<void> = this.mailer
      .send(mail)
      .catch((err: unknown) => this.logger.error({ err, kind }, 'could not send an account mail'))
      .finally(() => this.pending.delete(sending));
    this.pending.add(sending);
  }

  /** Resolves when every mail posted so far has been handed to the mailer (or failed). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

export function verificationMail(publicUrl: string, to: string, name: string, token: string, ttlHours: number): Mail {
  const link = `${publicUrl}/verify-email?token=${encodeURIComponent(token)}`;
  return {
    to,
    subject: 'Confirm your ChatGraph email address',
    text: `Hello ${name},\n\nConfirm your email address by opening this link within ${ttlHours} hours:\n\n${link}\n\nIf you did not create a ChatGraph account, ignore this mail.\n`,
  };
}

export function passwordResetMail(publicUrl: string, to: string, name: string, token: string, ttlMinutes: number): Mail {
  const link = `${publicUrl}/reset-password?token=${encodeURIComponent(token)}`;
  return {
    to,
    subject: 'Reset your ChatGraph password',
    text: `Hello ${name},\n\nSomeone asked to reset the password of your ChatGraph account. To choose a new one, open this link within ${ttlMinutes} minutes:\n\n${link}\n\nIf it was not you, ignore this mail: your password stays as it is.\n`,
  };
}
