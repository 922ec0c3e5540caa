import type { Logger } from '@chatgraph/kit';
import { assertSafeMailHeaders, type Mail, type Mailer } from '@chatgraph/kit/mail';

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
      .send({ ...mail, kind })
      .catch((err: unknown) => this.logger.error({ err, kind }, 'could not send an account mail'))
      .finally(() => this.pending.delete(sending));
    this.pending.add(sending);
  }

  /** Resolves when every mail posted so far has been handed to the mailer (or failed). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

/**
 * A link into the client app: the configured public base URL, a fixed path and the token,
 * percent-encoded. Nothing a user typed goes into a link, so a mail cannot be made to point elsewhere.
 */
export function accountLink(publicUrl: string, route: 'verify-email' | 'reset-password', token: string): string {
  const url = new URL(publicUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${route}`;
  url.search = `?token=${encodeURIComponent(token)}`;
  url.hash = '';
  return url.toString();
}

/**
 * The only way account mails are made. The subject is fixed text; the recipient is the stored,
 * validated address and is checked again here (an address stored before validation tightened
 * must not become a header injection); the body holds fixed text and the link only — no name or
 * other user-provided text, which could otherwise carry a fake link or instructions.
 */
function accountMail(to: string, subject: string, text: string): Mail {
  const mail = { to, subject, text };
  assertSafeMailHeaders(mail);
  return mail;
}

export function verificationMail(publicUrl: string, to: string, token: string, ttlHours: number): Mail {
  const link = accountLink(publicUrl, 'verify-email', token);
  return accountMail(
    to,
    'Confirm your ChatGraph email address',
    `Hello,\n\nConfirm your email address by opening this link within ${ttlHours} hours:\n\n${link}\n\nIf you did not create a ChatGraph account, ignore this mail.\n`,
  );
}

export function passwordResetMail(publicUrl: string, to: string, token: string, ttlMinutes: number): Mail {
  const link = accountLink(publicUrl, 'reset-password', token);
  return accountMail(
    to,
    'Reset your ChatGraph password',
    `Hello,\n\nSomeone asked to reset the password of your ChatGraph account. To choose a new one, open this link within ${ttlMinutes} minutes:\n\n${link}\n\nIf it was not you, ignore this mail: your password stays as it is.\n`,
  );
}
