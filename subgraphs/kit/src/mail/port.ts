/**
 * The mailer port: how services send a message to a person (verification links, password
 * resets). Adapters: `file` (embedded default — the developer's inbox is
 * `<dataDir>/mail/outbox.jsonl`), `smtp` (production, through nodemailer), `log-redacted`
 * (sends nothing, logs who would have got what kind of mail) and `recording` (in memory, for tests).
 */
export interface Mail {
  to: string;
  subject: string;
  /** Plain text; links are written out in full so any client can follow them. */
  text: string;
  /**
   * What the mail is for (`password-reset`, `email-verification`): the one thing besides the
   * recipient that adapters may log. Subjects and bodies carry links and tokens and are never logged.
   */
  kind?: string;
}

export interface Mailer {
  /** Resolves once the adapter has accepted the mail (written, or acknowledged by the SMTP server). */
  send(mail: Mail): Promise<void>;
  /** Releases connections or files. Safe to call twice; optional because most adapters hold nothing. */
  close?(): Promise<void>;
}

/** C0/C1 controls and Unicode line separators: in a header value any of them can start a new header line. */
const HEADER_BREAKING = /[\p{Cc}\u2028\u2029]/u;

/**
 * Throws when the recipient or subject could inject a header (a CR/LF, NUL or other control
 * character). Adapters that build real headers call it before sending; services may call it
 * when they build a mail, to fail where the mistake is.
 */
export function assertSafeMailHeaders(mail: Pick<Mail, 'to' | 'subject'>): void {
  if (HEADER_BREAKING.test(mail.to)) throw new Error('refusing to send a mail whose recipient contains a control character');
  if (HEADER_BREAKING.test(mail.subject)) throw new Error('refusing to send a mail whose subject contains a control character');
}
