/**
 * Distributed mode end to end: identity, conversation and the router in their own processes, on
 * the MongoDB-compatible server and Kafka started by scripts/infra, driven through the router
 * (conversation's own flow is in conversation-distributed.real.test.ts). The database is
 * restarted mid-test: identity reports not-ready and answers UNAVAILABLE, then recovers with
 * nothing acknowledged lost.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ChatGraphError, createClient, LoginDocument, MeDocument, RefreshSessionDocument, RegisterDocument } from '@chatgraph/sdk';
import type { DistributedStack } from '@chatgraph/launcher';
import { startTestStack, type TestStack } from './distributedStack';

const root = path.join(__dirname, '..', '..');
const password = 'distributed passphrase';

let stack: DistributedStack;
let running: TestStack | undefined;

const client = (token?: string) => createClient({ url: stack.url, token });

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    if (err instanceof ChatGraphError) return err.code;
    throw err;
  }
}

async function pollUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

const identityReady = async (): Promise<boolean> => (await fetch(`${stack.subgraphUrls.identity?.[0]}/readyz`)).ok;
const mongo = (action: 'up' | 'down'): void => {
  execFileSync('bash', [path.join(root, 'scripts/infra/mongo.sh'), action], { stdio: 'ignore' });
};

beforeAll(async () => {
  running = await startTestStack('distributed');
  stack = running.stack;
}, 120_000);

afterAll(async () => {
  mongo('up');
  await running?.dispose();
}, 60_000);

describe('distributed mode through the router', () => {
  it('registers, signs in and rotates sessions with identity on the real server', async () => {
    const { register } = await client().request(RegisterDocument, { input: { email: 'dist@example.com', password, name: 'Dist' } });
    expect((await client(register.accessToken).request(MeDocument)).me?.email).toBe('dist@example.com');
    const next = (await client().request(RefreshSessionDocument, { refreshToken: register.refreshToken })).refreshSession;
    expect(await codeOf(client().request(RefreshSessionDocument, { refreshToken: register.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(await codeOf(client().request(RefreshSessionDocument, { refreshToken: next.refreshToken }))).toBe('UNAUTHENTICATED');
  });

  it('reports not-ready and UNAVAILABLE while the database is down, then recovers with nothing lost', async () => {
    await client().request(RegisterDocument, { input: { email: 'before-outage@example.com', password, name: 'Before' } });
    mongo('down');
    await pollUntil('identity reports not-ready', async () => !(await identityReady()));
    expect(await codeOf(client().request(LoginDocument, { input: { email: 'before-outage@example.com', password } }))).toBe('UNAVAILABLE');

    mongo('up');
    await pollUntil('identity is ready again', identityReady);
    const { login } = await client().request(LoginDocument, { input: { email: 'before-outage@example.com', password } });
    expect((await client(login.accessToken).request(MeDocument)).me?.name).toBe('Before');
  }, 120_000);
});
