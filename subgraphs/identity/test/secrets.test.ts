import { collectionSpecs } from '../src/store';
import {
  ANON,
  codeOf,
  login,
  mailedToken,
  ok,
  PASSWORD,
  principalOf,
  refresh,
  register,
  ROUTER,
  startIdentity,
  type Auth,
  type Harness,
} from './harness';

/**
 * Runs every operation, then scans every response and every log line for what must never leave
 * the service: passwords, password hashes, stored token/key hashes and private keys.
 */
describe('secrets never leave the service', () => {
  let h: Harness;
  const passwords = [PASSWORD, 'wrong password attempt', 'my second passphrase', 'my third passphrase'];
  const issued: string[] = [];

  beforeAll(async () => {
    h = await startIdentity();
    const admin = await register(h, 'scan-admin@example.com');
    const user = await register(h, 'scan-user@example.com');
    issued.push(admin.refreshToken, user.refreshToken, admin.accessToken, user.accessToken);
    const me = principalOf(user);

    expect(codeOf(await login(h, 'scan-user@example.com', passwords[1]))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(h, 'nobody@example.com', passwords[1]))).toBe('UNAUTHENTICATED');
    const second = ok<Auth>(await login(h, 'scan-user@example.com'), 'login');
    const rotated = ok<Auth>(await refresh(h, second.refreshToken), 'refreshSession');
    await refresh(h, second.refreshToken); // reuse: revokes that family, and logs it
    issued.push(second.refreshToken, rotated.refreshToken);

    await h.gql(me, '{ me { id email name role emailVerified createdAt apiKeys { id name prefix scopes } } }');
    await h.gql(principalOf(admin), '{ users(first: 10) { edges { node { id email role } } } }');
    const created = ok<{ secret: string; apiKey: { id: string } }>(
      await h.gql(me, 'mutation { createApiKey(input: { name: "scan" }) { secret apiKey { id prefix } } }'),
      'createApiKey',
    );
    issued.push(created.secret);
    await h.signedPost('/internal/api-keys/verify', ROUTER, { key: created.secret });
    await h.signedPost('/internal/api-keys/verify', ROUTER, { key: `${created.secret}x` });
    await h.gql(me, 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedApiKeyId } }', { id: created.apiKey.id });

    await h.gql(ANON, 'mutation($t: String!) { verifyEmail(token: $t) }', {
      t: await mailedToken(h, 'scan-user@example.com', 'verify-email'),
    });
    await h.gql(me, 'mutation($i: ChangePasswordInput!) { changePassword(input: $i) }', {
      i: { currentPassword: PASSWORD, newPassword: passwords[2] },
    });
    await h.gql(ANON, 'mutation { requestPasswordReset(email: "scan-user@example.com") }');
    const resetToken = await mailedToken(h, 'scan-user@example.com', 'reset-password');
    await h.gql(ANON, 'mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }', {
      t: resetToken,
      p: passwords[3],
    });
    issued.push(resetToken);
    await h.gql(principalOf(admin), 'mutation { logoutEverywhere }');
    await h.identity.service.mailSettled();
  });
  afterAll(() => h.dispose());

  async function storedSecrets(): Promise<string[]> {
    const out: string[] = [];
    for (const u of await h.store.collection(collectionSpecs.users).find({})) out.push(u.passwordHash);
    for (const s of await h.store.collection(collectionSpecs.sessions).find({})) out.push(s.refreshHash, ...s.previousHashes);
    for (const k of await h.store.collection(collectionSpecs.apiKeys).find({})) out.push(k.keyHash);
    for (const t of await h.store.collection(collectionSpecs.accountTokens).find({})) out.push(t.tokenHash);
    for (const k of await h.store.collection(collectionSpecs.signingKeys).find({}))
      out.push(k.privateKeyPem.split('\n')[1] ?? k.privateKeyPem);
    return out;
  }

  it('saw a meaningful amount of traffic', () => {
    expect(h.responses.length).toBeGreaterThan(15);
    expect(h.logs.some((l) => l.includes('refresh token reused'))).toBe(true);
  });

  it('no response contains a password, a hash or a private key', async () => {
    const secrets = await storedSecrets();
    expect(secrets.length).toBeGreaterThan(10);
    const all = h.responses.join('\n');
    expect(all).not.toContain('$argon2');
    expect(all).not.toMatch(/passwordHash|keyHash|refreshHash|tokenHash|PRIVATE KEY/);
    for (const password of passwords) expect(all).not.toContain(password);
    for (const secret of secrets) expect(all).not.toContain(secret);
  });

  it('no log line contains a password, a hash, a token, a key or a private key', async () => {
    const secrets = await storedSecrets();
    const all = h.logs.join('\n');
    expect(all).not.toContain('$argon2');
    for (const value of [...passwords, ...secrets, ...issued]) expect(all).not.toContain(value);
  });
});
