/**
 * Account flows an outsider can trigger, through the router of the one-process launcher (the
 * `pnpm start` stack: embedded store, file mailer): a burst of reset requests mails one inbox
 * once, disguised names are refused, and no log line carries a mailed link.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { ChatGraphError, createClient, RegisterDocument, RequestPasswordResetDocument } from '@chatgraph/sdk';

let stack: EmbeddedStack;
let dataDir: string;
const logLines: string[] = [];
const password = 'a perfectly fine passphrase';

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-abuse-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(chunk.toString());
      cb();
    },
  });
  stack = await startEmbedded(config, { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1' }, (name) =>
    createLogger({ name, level: 'info', destination: sink }),
  );
});

afterAll(async () => {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const client = () => createClient({ url: stack.url });

function outbox(): Array<{ to: string; subject: string; text: string }> {
  const file = path.join(dataDir, 'identity', 'mail', 'outbox.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { to: string; subject: string; text: string });
}

describe('account abuse through the router', () => {
  it('mails one reset link for 50 simultaneous reset requests, and logs no link', async () => {
    await client().request(RegisterDocument, { input: { email: 'inbox@example.com', password, name: 'Inbox' } });
    const answers = await Promise.allSettled(
      Array.from({ length: 50 }, () => client().request(RequestPasswordResetDocument, { email: 'inbox@example.com' })),
    );
    // Each is answered `true`, or refused by the router's per-account limit (reset-account) first.
    for (const a of answers) {
      if (a.status === 'fulfilled') expect(a.value.requestPasswordReset).toBe(true);
      else expect(a.reason).toMatchObject({ status: 429, errors: [{ extensions: { code: 'RATE_LIMITED' } }] });
    }
    await stack.identity.service.mailSettled();
    const resets = outbox().filter((m) => m.to === 'inbox@example.com' && m.text.includes('/reset-password?token='));
    expect(resets).toHaveLength(1);
    // The link is in the developer's outbox file, and in no log line.
    expect(logLines.some((l) => l.includes('mail written to the local outbox'))).toBe(true);
    expect(logLines.join('\n')).not.toContain('token=');
  });

  it('refuses a name with a right-to-left override or a line break, naming the field', async () => {
    for (const name of ['Eve \u202Egnp.exe', 'Eve\r\nBcc: x@example.com', 'Eve\u0000']) {
      const err = await client()
        .request(RegisterDocument, { input: { email: 'eve@example.com', password, name } })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(ChatGraphError);
      expect((err as ChatGraphError).errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    }
  });
});
