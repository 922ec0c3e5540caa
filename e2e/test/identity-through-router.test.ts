/**
 * Identity end to end, as a client uses it: the one-process launcher behind `pnpm start`
 * (embedded store, file mailer, router composed from the running subgraph), driven over HTTP
 * through the router with the typed SDK.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import {
  ChangePasswordDocument,
  ChatGraphError,
  CreateApiKeyDocument,
  createClient,
  LoginDocument,
  LogoutDocument,
  LogoutEverywhereDocument,
  MeDocument,
  RefreshSessionDocument,
  RegisterDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  RevokeApiKeyDocument,
  SetUserRoleDocument,
  UsersDocument,
  VerifyEmailDocument,
} from '@chatgraph/sdk';

let stack: EmbeddedStack;
let dataDir: string;
/** Every response body seen, to prove no secret material ever leaves identity. */
const seenBodies: string[] = [];

const recordingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const text = await res.text();
  seenBodies.push(text);
  return new Response(text, { status: res.status, headers: res.headers });
};

const client = (token?: string) => createClient({ url: stack.url, token, fetch: recordingFetch });

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ChatGraphError) return err.code;
    throw err;
  }
  return undefined;
}

/** Waits for the mail to `to` whose subject matches, and returns the token in its link. */
async function tokenFromMail(to: string, subject: RegExp): Promise<string> {
  const outbox = path.join(dataDir, 'identity', 'mail', 'outbox.jsonl');
  for (let i = 0; i < 200; i++) {
    if (existsSync(outbox)) {
      const mails = readFileSync(outbox, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { to: string; subject: string; text: string });
      const mail = mails.reverse().find((m) => m.to === to && subject.test(m.subject));
      const token = mail?.text.match(/token=([^\s]+)/)?.[1];
      if (token) return decodeURIComponent(token);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no mail to ${to} matching ${subject}`);
}

const password = 'a perfectly fine passphrase';

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', API_KEY_CACHE_MS: '200', LOG_LEVEL: 'silent' });
});

afterAll(async () => {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('identity through the router', () => {
  it('runs the whole session lifecycle, with refresh-token reuse revoking the family', async () => {
    const registered = await client().request(RegisterDocument, { input: { email: '  Grace@Example.COM ', password, name: 'Grace' } });
    expect(registered.register.user).toMatchObject({ email: 'grace@example.com', name: 'Grace', role: 'ADMIN', emailVerified: false });

    const me = await client(registered.register.accessToken).request(MeDocument);
    expect(me.me?.id).toBe(registered.register.user.id);
    expect((await client().request(MeDocument)).me).toBeNull();

    const login = (await client().request(LoginDocument, { input: { email: 'grace@example.com', password } })).login;
    const first = (await client().request(RefreshSessionDocument, { refreshToken: login.refreshToken })).refreshSession;
    const second = (await client().request(RefreshSessionDocument, { refreshToken: first.refreshToken })).refreshSession;
    expect(await codeOf(client().request(RefreshSessionDocument, { refreshToken: first.refreshToken }))).toBe('UNAUTHENTICATED');
    // Reuse of a rotated token revoked the whole family, including its newest member.
    expect(await codeOf(client().request(RefreshSessionDocument, { refreshToken: second.refreshToken }))).toBe('UNAUTHENTICATED');

    const other = (await client().request(LoginDocument, { input: { email: 'grace@example.com', password } })).login;
    expect(await client().request(LogoutDocument, { refreshToken: other.refreshToken })).toEqual({ logout: true });
    expect(await codeOf(client().request(RefreshSessionDocument, { refreshToken: other.refreshToken }))).toBe('UNAUTHENTICATED');

    const a = (await client().request(LoginDocument, { input: { email: 'grace@example.com', password } })).login;
    const b = (await client().request(LoginDocument, { input: { email: 'grace@example.com', password } })).login;
    await client(a.accessToken).request(LogoutEverywhereDocument);
    for (const s of [a, b])
      expect(await codeOf(client().request(RefreshSessionDocument, { refreshToken: s.refreshToken }))).toBe('UNAUTHENTICATED');
  });

  it('serves the router from the subgraphs of its own process, signed, without HTTP between them', async () => {
    const inProcess = jest.spyOn(stack.identity.subgraph, 'serveInProcess');
    try {
      const registered = await client().request(RegisterDocument, { input: { email: 'in-process@example.com', password, name: 'Local' } });
      expect((await client(registered.register.accessToken).request(MeDocument)).me?.id).toBe(registered.register.user.id);
      expect(inProcess).toHaveBeenCalled();
      for (const [headers] of inProcess.mock.calls) expect(headers['x-chatgraph-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    } finally {
      inProcess.mockRestore();
    }
  });

  it('refuses bad credentials and bad tokens with coded errors', async () => {
    await client().request(RegisterDocument, { input: { email: 'alan@example.com', password, name: 'Alan' } });
    expect(await codeOf(client().request(LoginDocument, { input: { email: 'alan@example.com', password: 'wrong password!' } }))).toBe(
      'UNAUTHENTICATED',
    );
    expect(await codeOf(client().request(LoginDocument, { input: { email: 'nobody@example.com', password } }))).toBe('UNAUTHENTICATED');
    expect(await codeOf(client().request(RegisterDocument, { input: { email: 'ALAN@example.com', password, name: 'Again' } }))).toBe(
      'CONFLICT',
    );
    expect(await codeOf(client().request(RegisterDocument, { input: { email: 'short@example.com', password: 'short', name: 'S' } }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(await codeOf(client('not-a-token').request(MeDocument))).toBe('UNAUTHENTICATED');
  });

  it('verifies email and resets passwords with single-use mailed tokens', async () => {
    const email = 'katherine@example.com';
    const { register } = await client().request(RegisterDocument, { input: { email, password, name: 'Katherine' } });
    const verifyToken = await tokenFromMail(email, /confirm/i);
    expect(await client().request(VerifyEmailDocument, { token: verifyToken })).toEqual({ verifyEmail: true });
    expect(await codeOf(client().request(VerifyEmailDocument, { token: verifyToken }))).toBe('BAD_USER_INPUT');
    expect((await client(register.accessToken).request(MeDocument)).me?.emailVerified).toBe(true);

    expect(await client().request(RequestPasswordResetDocument, { email: 'nobody-here@example.com' })).toEqual({
      requestPasswordReset: true,
    });
    expect(await client().request(RequestPasswordResetDocument, { email })).toEqual({ requestPasswordReset: true });
    const resetToken = await tokenFromMail(email, /reset/i);
    const newPassword = 'another fine passphrase';
    expect(await client().request(ResetPasswordDocument, { token: resetToken, newPassword })).toEqual({ resetPassword: true });
    expect(await codeOf(client().request(ResetPasswordDocument, { token: resetToken, newPassword: 'yet another passphrase' }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(await codeOf(client().request(RefreshSessionDocument, { refreshToken: register.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(await codeOf(client().request(LoginDocument, { input: { email, password } }))).toBe('UNAUTHENTICATED');
    await client().request(LoginDocument, { input: { email, password: newPassword } });

    const { login } = await client().request(LoginDocument, { input: { email, password: newPassword } });
    await client(login.accessToken).request(ChangePasswordDocument, { input: { currentPassword: newPassword, newPassword: password } });
    expect(await codeOf(client().request(RefreshSessionDocument, { refreshToken: login.refreshToken }))).toBe('UNAUTHENTICATED');
  });

  it('authenticates API keys through the router and stops honouring them once revoked', async () => {
    const { register } = await client().request(RegisterDocument, { input: { email: 'ada@example.com', password, name: 'Ada' } });
    const created = (await client(register.accessToken).request(CreateApiKeyDocument, { input: { name: 'ci', scopes: ['READ'] } }))
      .createApiKey;
    expect(created.secret.startsWith('cgk_')).toBe(true);
    expect((await client(created.secret).request(MeDocument)).me?.email).toBe('ada@example.com');
    // A read-only key cannot run mutations, and no key can mint keys.
    expect(await codeOf(client(created.secret).request(CreateApiKeyDocument, { input: { name: 'escalate' } }))).toBe('FORBIDDEN');

    await client(register.accessToken).request(RevokeApiKeyDocument, { id: created.apiKey.id });
    let code: string | undefined;
    for (let i = 0; i < 400 && code === undefined; i++) {
      code = await codeOf(client(created.secret).request(MeDocument));
      if (code === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(code).toBe('UNAUTHENTICATED');
  });

  it('lets an ADMIN list users and change roles, and no one else', async () => {
    const admin = (await client().request(LoginDocument, { input: { email: 'grace@example.com', password } })).login;
    const user = (await client().request(LoginDocument, { input: { email: 'alan@example.com', password } })).login;
    expect(await codeOf(client(user.accessToken).request(UsersDocument, { first: 10 }))).toBe('FORBIDDEN');
    const page = (await client(admin.accessToken).request(UsersDocument, { first: 2 })).users;
    expect(page.edges).toHaveLength(2);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const rest = (await client(admin.accessToken).request(UsersDocument, { first: 50, after: page.pageInfo.endCursor })).users;
    const ids = [...page.edges, ...rest.edges].map((e) => e.node.id);
    expect(new Set(ids).size).toBe(ids.length);

    expect(await codeOf(client(user.accessToken).request(SetUserRoleDocument, { userId: user.user.id, role: 'ADMIN' }))).toBe('FORBIDDEN');
    const promoted = await client(admin.accessToken).request(SetUserRoleDocument, { userId: user.user.id, role: 'ADMIN' });
    expect(promoted.setUserRole.role).toBe('ADMIN');
  });

  it('never returns a password, a hash or a stored token digest', () => {
    const all = seenBodies.join('\n');
    expect(seenBodies.length).toBeGreaterThan(20);
    expect(all).not.toMatch(/\$argon2/);
    expect(all).not.toMatch(/passwordHash|tokenHash|keyHash/i);
    expect(all).not.toContain(password);
  });
});
