/**
 * What an outsider can make identity do with account mails, in counts: mails sent when 100
 * password-reset requests hit one address in 2 s; accounts created (each mailing its address)
 * by 30 sign-ups in a burst at one mail domain and at 30 domains; whether disguised names and
 * addresses are stored; and how many log lines carry a mailed link. Identity runs as deployed
 * on its own (embedded store, the default file mailer, defaults for every limit), called over
 * HTTP with router-signed requests.
 *
 *   pnpm bench:mail-abuse
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, signedGraphQL, type Principal } from '@chatgraph/kit';
import { createEmbeddedStore } from '@chatgraph/kit/store';
import { createMailer } from '@chatgraph/kit/mail';
import { loadIdentityConfig, buildIdentity } from '@chatgraph/identity';

const SECRET = 'bench-mail-abuse-secret-0123456789abcdef';
const ANON: Principal = { kind: 'anonymous' };
const PASSWORD = 'a perfectly fine passphrase';
const REGISTER = 'mutation($i: RegisterInput!) { register(input: $i) { user { id } } }';
const RESET = 'mutation($e: String!) { requestPasswordReset(email: $e) }';

interface OutboxLine {
  to: string;
  text: string;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'bench-mail-abuse-'));
  const logLines: string[] = [];
  const logger = createLogger({
    name: 'identity',
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        logLines.push(chunk.toString());
        cb();
      },
    }),
  });
  // Cheap argon2 keeps 60 sign-ups quick; every other setting is the default.
  const config = loadIdentityConfig({
    INTERNAL_SIGNING_SECRET: SECRET,
    DATA_DIR: dataDir,
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
  });
  const store = createEmbeddedStore({ dataDir: path.join(dataDir, 'identity') });
  await store.start();
  const mailer = createMailer({ kind: 'file', dataDir: path.join(dataDir, 'identity'), from: config.MAIL_FROM, logger });
  const identity = buildIdentity({ store, mailer, config, logger });
  const url = `${await identity.start(0)}/graphql`;
  const gql = (query: string, variables: Record<string, unknown>) => signedGraphQL(url, SECRET, ANON, query, variables);
  const outbox = (): OutboxLine[] => {
    const file = path.join(dataDir, 'identity', 'mail', 'outbox.jsonl');
    return existsSync(file)
      ? readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as OutboxLine)
      : [];
  };
  const outcome = async (email: string, name = 'Bench'): Promise<string> => {
    const code = (await gql(REGISTER, { i: { email, password: PASSWORD, name } })).errors?.[0]?.extensions?.code;
    return code === undefined ? 'stored' : `refused ${String(code)}`;
  };
  const accepted = async (email: string, name = 'Bench') => (await outcome(email, name)) === 'stored';

  try {
    console.log(`\nmail abuse against identity (defaults), Node ${process.version}`);

    // 1. One inbox, 100 reset requests spread over 2 s.
    await accepted('target@example.com');
    await identity.service.mailSettled();
    const start = Date.now();
    const requests = Array.from({ length: 100 }, (_, i) =>
      new Promise((resolve) => setTimeout(resolve, i * 20)).then(() => gql(RESET, { e: 'target@example.com' })),
    );
    const answers = await Promise.all(requests);
    const elapsed = Date.now() - start;
    await identity.service.mailSettled();
    const resets = outbox().filter((m) => m.to === 'target@example.com' && m.text.includes('/reset-password?token=')).length;
    const trueAnswers = answers.filter((a) => (a.data as { requestPasswordReset?: boolean } | null)?.requestPasswordReset === true).length;
    console.log(
      `reset requests to one address: 100 in ${(elapsed / 1000).toFixed(1)} s, answered true: ${trueAnswers}, mails sent: ${resets}`,
    );

    // 2. Disguised input, before the bursts so no sign-up limit decides it.
    const names: Array<[string, string]> = [
      ['NUL', 'Ann\u0000Admin'],
      ['right-to-left override', 'Ann \u202Egnp.exe'],
      ['CR/LF', 'Ann\r\nBcc: x@example.com'],
    ];
    for (const [i, [label, name]] of names.entries())
      console.log(`display name with ${label}: ${await outcome(`name${i}@names${i}.example`, name)}`);
    console.log(`address with NUL: ${await outcome('ann\u0000@nul.example')}`);

    // 3. Sign-up bursts: each accepted sign-up mails a verification link to an address nobody proved.
    const burstStart = Date.now();
    const oneDomain = await Promise.all(Array.from({ length: 30 }, (_, i) => accepted(`victim${i}@target-company.example`)));
    const manyDomains = await Promise.all(Array.from({ length: 30 }, (_, i) => accepted(`someone@domain${i}.example`)));
    console.log(`60 sign-ups sent in ${((Date.now() - burstStart) / 1000).toFixed(1)} s`);
    await identity.service.mailSettled();
    const verifications = outbox().filter((m) => m.text.includes('/verify-email?token=')).length;
    console.log(`30 sign-ups at one domain: accounts created ${oneDomain.filter(Boolean).length}`);
    console.log(`30 sign-ups at 30 domains (after the burst above): accounts created ${manyDomains.filter(Boolean).length}`);
    console.log(`verification mails sent in total: ${verifications}`);

    // 4. Mailed links in the log.
    await identity.service.mailSettled();
    console.log(`log lines carrying a mailed link: ${logLines.filter((l) => l.includes('token=')).length} of ${logLines.length}`);
  } finally {
    await identity.stop();
    await mailer.close?.();
    await store.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

void main();
