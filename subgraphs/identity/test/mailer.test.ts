import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createTransport } from 'nodemailer';
import { createLogger } from '@chatgraph/kit';
import {
  createFileMailer,
  createMailer,
  createRecordingMailer,
  createRedactedLogMailer,
  createSmtpMailer,
  type OutboxEntry,
} from '@chatgraph/kit/mail';

function captureLogger(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const logger = createLogger({
    name: 'mail-test',
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    }),
  });
  return { lines, logger };
}

describe('file mailer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mailer-test-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('appends each mail as one JSON line to <dataDir>/mail/outbox.jsonl and logs only recipient and kind', async () => {
    const { lines, logger } = captureLogger();
    const mailer = createFileMailer({ dataDir: dir, logger, from: 'ChatGraph <no-reply@chatgraph.local>' });
    const mails = Array.from({ length: 20 }, (_, i) => ({
      to: `user${i}@example.com`,
      subject: `Mail ${i}`,
      text: `Open http://127.0.0.1:4000/verify-email?token=tok${i}\nthanks`,
      kind: 'email-verification',
    }));
    await Promise.all(mails.map((m) => mailer.send(m)));
    await mailer.close?.();

    expect(mailer.outboxPath).toBe(path.join(dir, 'mail', 'outbox.jsonl'));
    const entries = (await readFile(mailer.outboxPath, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as OutboxEntry);
    expect(entries.map(({ to, subject, text, kind }) => ({ to, subject, text, kind }))).toEqual(mails);
    expect(entries[0]?.from).toBe('ChatGraph <no-reply@chatgraph.local>');
    expect(Number.isNaN(Date.parse(entries[0]?.sentAt ?? ''))).toBe(false);
    // Logs travel further than the data directory: a link there would open the account to anyone reading them.
    expect(lines).toHaveLength(20);
    const logged = lines.map((l) => JSON.parse(l) as { mail: unknown });
    expect(logged.map((l) => l.mail)).toEqual(mails.map(({ to, kind }) => ({ to, kind })));
    const all = lines.join('\n');
    expect(all).not.toContain('token=');
    expect(all).not.toContain('Mail 7');
  });

  it('is what the factory picks for MAILER=file', async () => {
    const { logger } = captureLogger();
    const mailer = createMailer({ kind: 'file', dataDir: dir, from: 'a@b.c', logger });
    await mailer.send({ to: 'x@example.com', subject: 's', text: 't' });
    expect(await readFile(path.join(dir, 'mail', 'outbox.jsonl'), 'utf8')).toContain('"to":"x@example.com"');
  });
});

describe('log-redacted mailer', () => {
  it('sends and keeps nothing, and logs only recipient and kind', async () => {
    const { lines, logger } = captureLogger();
    const mailer = createMailer({ kind: 'log-redacted', dataDir: '/nonexistent', from: 'a@b.c', logger });
    await mailer.send({
      to: 'ann@example.com',
      subject: 'Reset your ChatGraph password',
      text: 'Open https://x.example/reset-password?token=secret-token',
      kind: 'password-reset',
    });
    expect(lines).toHaveLength(1);
    expect((JSON.parse(lines[0] ?? '{}') as { mail: unknown }).mail).toEqual({ to: 'ann@example.com', kind: 'password-reset' });
    expect(lines[0]).not.toMatch(/secret-token|Reset your/);
    // The factory and the direct constructor are the same adapter.
    await createRedactedLogMailer({ logger }).send({ to: 'bob@example.com', subject: 's', text: 't' });
    expect(lines[1]).toContain('bob@example.com');
  });
});

describe('recording mailer', () => {
  it('keeps mails per recipient until cleared', async () => {
    const mailer = createRecordingMailer();
    await mailer.send({ to: 'a@example.com', subject: '1', text: 'one' });
    await mailer.send({ to: 'b@example.com', subject: '2', text: 'two' });
    expect(mailer.to('a@example.com').map((m) => m.subject)).toEqual(['1']);
    mailer.clear();
    expect(mailer.sent).toEqual([]);
  });
});

interface Received {
  from: string;
  to: string[];
  data: string;
}

/** Just enough of an SMTP server (RFC 5321) to accept mail from nodemailer over a real socket. */
async function startSmtpServer(
  options: { rejectRecipient?: string } = {},
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = net.createServer((socket) => {
    let buffer = '';
    let inData = false;
    let current: Received = { from: '', to: [], data: '' };
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 localhost test SMTP');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          received.push({ ...current, data: buffer.slice(0, end) });
          buffer = buffer.slice(end + 5);
          inData = false;
          current = { from: '', to: [], data: '' };
          reply('250 2.0.0 queued');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') reply('250 localhost');
        else if (verb === 'MAIL') {
          current.from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          reply('250 2.1.0 ok');
        } else if (verb === 'RCPT') {
          const to = /<([^>]*)>/.exec(line)?.[1] ?? '';
          if (to === options.rejectRecipient) reply('550 5.1.1 no such user');
          else {
            current.to.push(to);
            reply('250 2.1.5 ok');
          }
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 end with <CRLF>.<CRLF>');
        } else if (verb === 'QUIT') {
          reply('221 2.0.0 bye');
          socket.end();
          return;
        } else if (verb === 'RSET' || verb === 'NOOP') reply('250 ok');
        else reply('502 5.5.2 not implemented');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('SMTP mailer (nodemailer against a local SMTP server)', () => {
  it('delivers the mail with sender, recipient, subject and body', async () => {
    const smtp = await startSmtpServer();
    const { logger } = captureLogger();
    const mailer = createMailer({
      kind: 'smtp',
      smtpUrl: smtp.url,
      from: 'ChatGraph <no-reply@chatgraph.local>',
      dataDir: '/nonexistent',
      logger,
      createSmtpTransport: (url) => createTransport(url),
    });
    try {
      await mailer.send({
        to: 'ada@example.com',
        subject: 'Reset your ChatGraph password',
        text: 'Open http://127.0.0.1:4000/reset-password?token=abc',
      });
      expect(smtp.received).toHaveLength(1);
      const [mail] = smtp.received;
      expect(mail?.from).toBe('no-reply@chatgraph.local');
      expect(mail?.to).toEqual(['ada@example.com']);
      expect(mail?.data).toMatch(/^Subject: Reset your ChatGraph password$/m);
      expect(mail?.data).toMatch(/^From: ChatGraph <no-reply@chatgraph\.local>$/m);
      expect(mail?.data).toContain('reset-password?token=abc');
    } finally {
      await mailer.close?.();
      await mailer.close?.();
      await smtp.close();
    }
  });

  it('rejects when the server refuses the recipient', async () => {
    const smtp = await startSmtpServer({ rejectRecipient: 'gone@example.com' });
    const mailer = createSmtpMailer({ url: smtp.url, from: 'no-reply@chatgraph.local', createTransport: (url) => createTransport(url) });
    try {
      await expect(mailer.send({ to: 'gone@example.com', subject: 's', text: 't' })).rejects.toThrow(/550|recipients/i);
      expect(smtp.received).toEqual([]);
    } finally {
      await mailer.close?.();
      await smtp.close();
    }
  });

  it('refuses a recipient or subject that could inject a header, before talking to the server', async () => {
    const smtp = await startSmtpServer();
    const mailer = createSmtpMailer({ url: smtp.url, from: 'no-reply@chatgraph.local', createTransport: (url) => createTransport(url) });
    try {
      await expect(mailer.send({ to: 'ann@example.com\r\nBcc: victim@example.com', subject: 's', text: 't' })).rejects.toThrow(
        /recipient contains a control character/,
      );
      await expect(mailer.send({ to: 'ann@example.com', subject: 'Hi\r\nBcc: victim@example.com', text: 't' })).rejects.toThrow(
        /subject contains a control character/,
      );
      await expect(mailer.send({ to: 'ann\u0000@example.com', subject: 's', text: 't' })).rejects.toThrow(/recipient/);
      expect(smtp.received).toEqual([]);
    } finally {
      await mailer.close?.();
      await smtp.close();
    }
  });

  it('refuses to build an SMTP mailer without a URL or a transport', () => {
    const { logger } = captureLogger();
    expect(() =>
      createMailer({ kind: 'smtp', from: 'a@b.c', dataDir: '/x', logger, createSmtpTransport: (url) => createTransport(url) }),
    ).toThrow(/SMTP_URL/);
    expect(() => createMailer({ kind: 'smtp', smtpUrl: 'smtp://127.0.0.1:1', from: 'a@b.c', dataDir: '/x', logger })).toThrow(/transport/);
  });
});
