import {
  ANON,
  codeOf,
  DAY,
  HOUR,
  login,
  mailedToken,
  MINUTE,
  ok,
  PASSWORD,
  principalOf,
  refresh,
  register,
  startIdentity,
  type Auth,
  type Harness,
} from './harness';

import { collectionSpecs, type UserDoc } from '../src/store';

let h: Harness;
beforeAll(async () => {
  h = await startIdentity();
});
afterAll(() => h.dispose());

const ME = '{ me { id email name role emailVerified createdAt } }';

describe('register, login, me', () => {
  it('registers, returns tokens and the user, and `me` answers for the token holder', async () => {
    const auth = await register(h, 'ada@example.com', 'Ada');
    expect(auth.user).toMatchObject({ email: 'ada@example.com', name: 'Ada', emailVerified: false });
    expect(auth.accessToken.split('.')).toHaveLength(3);
    expect(auth.refreshToken).toMatch(/^[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);
    expect(new Date(auth.accessTokenExpiresAt).getTime()).toBe(h.clock.now().getTime() - (h.clock.now().getTime() % 1000) + 900_000);

    const me = ok<Auth['user']>(await h.gql(principalOf(auth), ME), 'me');
    expect(me).toEqual(auth.user);

    const again = ok<Auth>(await login(h, 'ada@example.com'), 'login');
    expect(again.user.id).toBe(auth.user.id);
    expect(again.refreshToken).not.toBe(auth.refreshToken);
  });

  it('answers null to `me` for anonymous callers', async () => {
    expect(ok(await h.gql(ANON, ME), 'me')).toBeNull();
  });

  it('stores an argon2id hash made with the configured parameters', async () => {
    const auth = await register(h, 'params@example.com');
    const [doc] = await findUsers(h, auth.user.id);
    expect(doc?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=4096,p=1,t=1\$/);
  });

  it('updates the profile name and refuses an empty one', async () => {
    const auth = await register(h, 'renamed@example.com', 'Old Name');
    const me = principalOf(auth);
    const updated = ok<{ name: string }>(
      await h.gql(me, 'mutation { updateProfile(input: { name: "  New Name " }) { name } }'),
      'updateProfile',
    );
    expect(updated.name).toBe('New Name');
    const bad = await h.gql(me, 'mutation { updateProfile(input: { name: "   " }) { name } }');
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
  });
});

/** Reads user documents straight from the store. */
function findUsers(harness: Harness, id: string): Promise<UserDoc[]> {
  return harness.store.collection(collectionSpecs.users).find({ _id: id });
}

describe('email', () => {
  it('is trimmed and lower-cased, so case and spaces do not make a second account', async () => {
    const auth = await register(h, '  Grace.Hopper@Example.COM ');
    expect(auth.user.email).toBe('grace.hopper@example.com');
    expect(ok<Auth>(await login(h, 'GRACE.HOPPER@example.com '), 'login').user.id).toBe(auth.user.id);

    const dup = await h.gql(ANON, 'mutation($i: RegisterInput!) { register(input: $i) { accessToken } }', {
      i: { email: 'grace.hopper@EXAMPLE.com', password: PASSWORD, name: 'Other' },
    });
    expect(dup.errors?.[0]).toMatchObject({
      message: 'An account with this email already exists',
      extensions: { code: 'CONFLICT', field: 'email' },
    });
  });

  it.each(['not-an-email', 'a@b', '', 'two@@example.com', `${'x'.repeat(250)}@example.com`])('refuses %j', async (email) => {
    const res = await h.gql(ANON, 'mutation($i: RegisterInput!) { register(input: $i) { accessToken } }', {
      i: { email, password: PASSWORD, name: 'X' },
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
  });
});

describe('password rules', () => {
  const attempt = (email: string, password: string, name = 'Rules') =>
    h.gql(ANON, 'mutation($i: RegisterInput!) { register(input: $i) { accessToken } }', { i: { email, password, name } });

  it.each([
    ['short1!', 'at least 8 characters'],
    ['x'.repeat(129), 'at most 128 characters'],
    ['Password123', 'too common'],
    ['qwertyuiop', 'too common'],
    ['rules@example.com', 'must not be your email'],
  ])('refuses %j (%s)', async (password, message) => {
    const res = await attempt('rules@example.com', password);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'password' });
    expect(res.errors?.[0]?.message).toContain(message);
  });

  it('accepts 8 and 128 characters, and refuses a missing name', async () => {
    expect(codeOf(await attempt('eight@example.com', 'k9#mPq2z'))).toBeUndefined();
    expect(codeOf(await attempt('long@example.com', 'Zq9!'.repeat(32)))).toBeUndefined();
    const noName = await attempt('noname@example.com', PASSWORD, ' ');
    expect(noName.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    const longName = await attempt('longname@example.com', PASSWORD, 'n'.repeat(101));
    expect(longName.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
  });
});

describe('login', () => {
  it('gives the same answer for an unknown email and a wrong password', async () => {
    await register(h, 'known@example.com');
    const wrong = await login(h, 'known@example.com', 'wrong password here');
    const unknown = await login(h, 'nobody@example.com', 'wrong password here');
    expect(wrong.errors).toEqual(unknown.errors);
    expect(wrong.errors?.[0]).toMatchObject({ message: 'Invalid email or password', extensions: { code: 'UNAUTHENTICATED' } });
    expect(wrong.data).toBeNull();
  });
});

describe('email verification', () => {
  it('mails a link at registration; the token verifies once', async () => {
    const auth = await register(h, 'verify@example.com', 'Vera');
    const token = await mailedToken(h, 'verify@example.com', 'verify-email');
    const mail = h.mailer.to('verify@example.com')[0];
    expect(mail?.subject).toMatch(/confirm/i);
    expect(mail?.text).toContain(`${h.config.PUBLIC_URL}/verify-email?token=`);

    const verify = (t: string) => h.gql(ANON, 'mutation($t: String!) { verifyEmail(token: $t) }', { t });
    expect(ok(await verify(token), 'verifyEmail')).toBe(true);
    expect(ok<Auth['user']>(await h.gql(principalOf(auth), ME), 'me').emailVerified).toBe(true);
    expect((await verify(token)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'token' });
    expect(codeOf(await verify('made-up-token'))).toBe('BAD_USER_INPUT');
  });

  it('expires after the configured 48 hours', async () => {
    await register(h, 'late@example.com');
    const token = await mailedToken(h, 'late@example.com', 'verify-email');
    h.clock.advance(48 * HOUR + 1);
    const res = await h.gql(ANON, 'mutation($t: String!) { verifyEmail(token: $t) }', { t: token });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
  });
});

describe('password reset', () => {
  const reset = (token: string, newPassword: string) =>
    h.gql(ANON, 'mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }', { t: token, p: newPassword });
  const request = (email: string) => h.gql(ANON, 'mutation($e: String!) { requestPasswordReset(email: $e) }', { e: email });

  it('answers true for an unknown address and sends nothing', async () => {
    h.mailer.clear();
    expect(ok(await request('ghost@example.com'), 'requestPasswordReset')).toBe(true);
    expect(ok(await request('not even an email'), 'requestPasswordReset')).toBe(true);
    await h.identity.service.mailSettled();
    expect(h.mailer.sent).toEqual([]);
  });

  it('mails a single-use link that sets the password and ends every session', async () => {
    const auth = await register(h, 'forgetful@example.com');
    expect(ok(await request(' Forgetful@Example.com'), 'requestPasswordReset')).toBe(true);
    const token = await mailedToken(h, 'forgetful@example.com', 'reset-password');

    const weak = await reset(token, 'password');
    expect(weak.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'newPassword' });
    // A refused password does not burn the link.
    expect(ok(await reset(token, 'a brand new passphrase'), 'resetPassword')).toBe(true);
    expect(codeOf(await reset(token, 'yet another passphrase'))).toBe('BAD_USER_INPUT');

    expect(codeOf(await refresh(h, auth.refreshToken))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(h, 'forgetful@example.com'))).toBe('UNAUTHENTICATED');
    expect(ok<Auth>(await login(h, 'forgetful@example.com', 'a brand new passphrase'), 'login').user.emailVerified).toBe(true);
  });

  it('expires after the configured hour, and a newer reset spends older links', async () => {
    await register(h, 'slow@example.com');
    await request('slow@example.com');
    const first = await mailedToken(h, 'slow@example.com', 'reset-password');
    h.clock.advance(HOUR + MINUTE);
    expect(codeOf(await reset(first, 'a brand new passphrase'))).toBe('BAD_USER_INPUT');

    await request('slow@example.com');
    const second = await mailedToken(h, 'slow@example.com', 'reset-password');
    // Past the per-address cool-down (limits.test.ts), so this request mails a third link.
    h.clock.advance(MINUTE + 1);
    await request('slow@example.com');
    const third = await mailedToken(h, 'slow@example.com', 'reset-password');
    expect(third).not.toBe(second);
    expect(ok(await reset(third, 'a brand new passphrase'), 'resetPassword')).toBe(true);
    expect(codeOf(await reset(second, 'another new passphrase'))).toBe('BAD_USER_INPUT');
  });
});

describe('changePassword', () => {
  const change = (auth: Auth, currentPassword: string, newPassword: string) =>
    h.gql(principalOf(auth), 'mutation($i: ChangePasswordInput!) { changePassword(input: $i) }', { i: { currentPassword, newPassword } });

  it('needs the current password, then ends every session', async () => {
    const first = await register(h, 'changer@example.com');
    const second = ok<Auth>(await login(h, 'changer@example.com'), 'login');

    const wrong = await change(first, 'not my password', 'a different passphrase');
    expect(wrong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
    const weak = await change(first, PASSWORD, '12345678');
    expect(weak.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'newPassword' });

    expect(ok(await change(first, PASSWORD, 'a different passphrase'), 'changePassword')).toBe(true);
    expect(codeOf(await refresh(h, first.refreshToken))).toBe('UNAUTHENTICATED');
    expect(codeOf(await refresh(h, second.refreshToken))).toBe('UNAUTHENTICATED');
    // The still-unexpired access token of an ended session cannot change the account again.
    expect(codeOf(await change(first, 'a different passphrase', 'a third passphrase'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(h, 'changer@example.com'))).toBe('UNAUTHENTICATED');
    expect(ok<Auth>(await login(h, 'changer@example.com', 'a different passphrase'), 'login').user.email).toBe('changer@example.com');
  });
});

describe('sessions expire', () => {
  it('refuses a refresh token after the 30-day session lifetime', async () => {
    const auth = await register(h, 'old-session@example.com');
    h.clock.advance(30 * DAY + 1);
    expect(codeOf(await refresh(h, auth.refreshToken))).toBe('UNAUTHENTICATED');
  });
});
