import { ANON, codeOf, HOUR, login, mailedToken, ok, PASSWORD, register, startIdentity, type Harness } from './harness';

/**
 * Password guessing against one account: after 10 failed sign-ins in an hour the account's
 * password sign-in is locked (even with the right password), for unknown addresses alike, until
 * the hour ends or the owner resets the password through the mailed link (LibreChat issue #2851:
 * a lock with no way out). The lock is per account: other accounts sign in as usual.
 */
describe('per-account sign-in lock', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startIdentity({ env: { MAIL_COOLDOWN_SECONDS: '0' } });
    await register(h, 'owner@example.com');
    await register(h, 'other@example.com');
  });
  afterAll(() => h.dispose());

  it('locks after 10 failures, before checking the password, and leaves other accounts alone', async () => {
    for (let i = 0; i < 10; i++) expect(codeOf(await login(h, 'owner@example.com', `wrong guess ${i}`))).toBe('UNAUTHENTICATED');
    const locked = await login(h, 'owner@example.com', PASSWORD);
    expect(codeOf(locked)).toBe('RATE_LIMITED');
    expect(locked.errors?.[0]?.extensions).toMatchObject({ locked: true, retryAfterSeconds: 3600 });
    expect(ok(await login(h, 'other@example.com'), 'login')).toBeTruthy();
  });

  it('answers an unknown address the same way (the lock reveals no account)', async () => {
    for (let i = 0; i < 10; i++) expect(codeOf(await login(h, 'ghost@example.com', `wrong guess ${i}`))).toBe('UNAUTHENTICATED');
    expect(codeOf(await login(h, 'ghost@example.com', PASSWORD))).toBe('RATE_LIMITED');
  });

  it('is lifted by the owner through the mailed password reset', async () => {
    await h.gql(ANON, 'mutation($e: String!) { requestPasswordReset(email: $e) }', { e: 'owner@example.com' });
    const token = await mailedToken(h, 'owner@example.com', 'reset-password');
    const reset = await h.gql(ANON, 'mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }', {
      t: token,
      p: 'a brand new passphrase',
    });
    expect(ok(reset, 'resetPassword')).toBe(true);
    expect(ok(await login(h, 'owner@example.com', 'a brand new passphrase'), 'login')).toBeTruthy();
  });

  it('ends by itself when the hour is over, and a success clears the count', async () => {
    for (let i = 0; i < 10; i++) await login(h, 'other@example.com', `wrong guess ${i}`);
    expect(codeOf(await login(h, 'other@example.com'))).toBe('RATE_LIMITED');
    h.clock.advance(HOUR + 1);
    expect(ok(await login(h, 'other@example.com'), 'login')).toBeTruthy();
    // Cleared by the success: 9 more failures do not lock it.
    for (let i = 0; i < 9; i++) await login(h, 'other@example.com', `wrong again ${i}`);
    expect(ok(await login(h, 'other@example.com'), 'login')).toBeTruthy();
  });
});
