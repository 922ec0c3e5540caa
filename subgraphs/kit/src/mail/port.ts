/**
 * The mailer port: how services send a message to a person (verification links, password
 * resets). Adapters: `file` (embedded default — the developer's inbox is a log line and
 * `<dataDir>/mail/outbox.jsonl`), `smtp` (production, through nodemailer) and `recording`
 * (in memory, for tests).
 */
export interface Mail {
  to: string;
  subject: string;
  /** Plain text; links are written out in full so any client can follow them. */
  text: string;
}

export interface Mailer {
  /** Resolves once the adapter has accepted the mail (written, or acknowledged by the SMTP server). */
  send(mail: Mail): Promise<void>;
  /** Releases connections or files. Safe to call twice; optional because most adapters hold nothing. */
  close?(): Promise<void>;
}
