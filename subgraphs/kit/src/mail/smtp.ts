import { assertSafeMailHeaders, type Mail, type Mailer } from './port';

/**
 * The slice of a nodemailer transporter this adapter uses. The transport is passed in (from
 * `nodemailer.createTransport`) rather than imported so the kit does not carry an SMTP client
 * for services that never send mail.
 */
export interface SmtpTransport {
  sendMail(message: { from: string; to: string; subject: string; text: string }): Promise<unknown>;
  close(): void;
}

/** `nodemailer.createTransport` has this shape for a connection URL. */
export type SmtpTransportFactory = (url: string) => SmtpTransport;

export interface SmtpMailerOptions {
  /** e.g. `smtps://user:pass@smtp.example.com:465` or `smtp://127.0.0.1:1025`. */
  url: string;
  from: string;
  createTransport: SmtpTransportFactory;
}

/** The production mailer: one pooled nodemailer transport per process. */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const transport = options.createTransport(options.url);
  let closed = false;
  return {
    async send(mail: Mail) {
      assertSafeMailHeaders(mail);
      await transport.sendMail({ from: options.from, to: mail.to, subject: mail.subject, text: mail.text });
    },
    async close() {
      if (closed) return;
      closed = true;
      transport.close();
    },
  };
}
