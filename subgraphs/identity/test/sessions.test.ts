import { ANON, codeOf, DAY, login, ok, principalOf, refresh, register, startIdentity, type Auth, type Harness } from './harness';

let h: Harness;
let firstAdmin: Auth;
beforeAll(async () => {
  h = await startIdentity();
  firstAdmin = await register(h, 'first@example.com');
});
afterAll(() => h.dispose());

const LOGOUT = 'mutation($t: String!) { logout(refreshToken: $t) }';

describe('refreshSession', () => {
  it('rotates: each refresh token works once and yields a new pair for the same session', async () => {
    const auth = await register(h, 'rotate@example.com');
    const next = ok<Auth>(await refresh(h, auth.refreshToken), 'refreshSession');
    expect(next.refreshToken).not.toBe(auth.refreshToken);
    expect(next.user.email).toBe('rotate@example.com');
    expect(principalOf(next).sessionId).toBe(principalOf(auth).sessionId);
    const third = ok<Auth>(await refresh(h, next.refreshToken), 'refreshSession');
    expect(third.refreshToken).not.toBe(next.refreshToken);
  });

  it('revokes the whole family when an already-rotated token comes back', async () => {
    const auth = await register(h, 'stolen@example.com');
    const t2 = ok<Auth>(await refresh(h, auth.refreshToken), 'refreshSession');
    const t3 = ok<Auth>(await refresh(h, t2.refreshToken), 'refreshSession');

    // Someone replays the first token (e.g. copied before it was used).
    const replay = await refresh(h, auth.refreshToken);
    expect(replay.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(replay.data).toBeNull();
    // The newest token of that family is dead too.
    expect(codeOf(await refresh(h, t3.refreshToken))).toBe('UNAUTHENTICATED');
    // Sessions of the same user from other sign-ins are unaffected.
    const other = ok<Auth>(await login(h, 'stolen@example.com'), 'login');
    expect(ok<Auth>(await refresh(h, other.refreshToken), 'refreshSession').user.email).toBe('stolen@example.com');
  });

  it('lets only one of two simultaneous uses of a token through, and treats the other as reuse', async () => {
    const auth = await register(h, 'race@example.com');
    const results = await Promise.all([refresh(h, auth.refreshToken), refresh(h, auth.refreshToken)]);
    const winners = results.filter((r) => !r.errors);
    expect(winners).toHaveLength(1);
    const winner = ok<Auth>(winners[0]!, 'refreshSession');
    expect(codeOf(await refresh(h, winner.refreshToken))).toBe('UNAUTHENTICATED');
  });

  it('refuses malformed and forged tokens without touching a real session', async () => {
    const auth = await register(h, 'forged@example.com');
    const sessionId = auth.refreshToken.split('.')[0];
    for (const token of ['', 'garbage', `${sessionId}.${'A'.repeat(43)}`, `${'0'.repeat(32)}.${'A'.repeat(43)}`]) {
      expect(codeOf(await refresh(h, token))).toBe('UNAUTHENTICATED');
    }
    // A forged token naming the session is not reuse: knowing a session id must not be enough to end it.
    expect(ok<Auth>(await refresh(h, auth.refreshToken), 'refreshSession').user.email).toBe('forged@example.com');
  });

  it('issues access tokens with the role stored now, so a role change reaches the next refresh', async () => {
    expect(firstAdmin.user.role).toBe('ADMIN');
    const user = await register(h, 'promoted@example.com');
    expect(principalOf(user).role).toBe('USER');
    ok(
      await h.gql(principalOf(firstAdmin), 'mutation($id: ID!) { setUserRole(userId: $id, role: ADMIN) { role } }', { id: user.user.id }),
      'setUserRole',
    );
    const refreshed = ok<Auth>(await refresh(h, user.refreshToken), 'refreshSession');
    expect(principalOf(refreshed).role).toBe('ADMIN');
    expect(refreshed.user.role).toBe('ADMIN');
  });
});

describe('logout', () => {
  it('ends the session of the given refresh token only, and is idempotent', async () => {
    const a = await register(h, 'logout@example.com');
    const b = ok<Auth>(await login(h, 'logout@example.com'), 'login');
    expect(ok(await h.gql(principalOf(a), LOGOUT, { t: a.refreshToken }), 'logout')).toBe(true);
    expect(ok(await h.gql(principalOf(a), LOGOUT, { t: a.refreshToken }), 'logout')).toBe(true);
    expect(ok(await h.gql(principalOf(a), LOGOUT, { t: 'nonsense' }), 'logout')).toBe(true);
    expect(codeOf(await refresh(h, a.refreshToken))).toBe('UNAUTHENTICATED');
    expect(ok<Auth>(await refresh(h, b.refreshToken), 'refreshSession').user.email).toBe('logout@example.com');
    // The ended session's access token can no longer change the account.
    expect(codeOf(await h.gql(principalOf(a), 'mutation { createApiKey(input: { name: "k" }) { secret } }'))).toBe('UNAUTHENTICATED');
  });

  it('logoutEverywhere ends every session of the caller and no one else’s', async () => {
    const a = await register(h, 'everywhere@example.com');
    const b = ok<Auth>(await login(h, 'everywhere@example.com'), 'login');
    const bystander = await register(h, 'bystander@example.com');
    expect(ok(await h.gql(principalOf(a), 'mutation { logoutEverywhere }'), 'logoutEverywhere')).toBe(true);
    expect(codeOf(await refresh(h, a.refreshToken))).toBe('UNAUTHENTICATED');
    expect(codeOf(await refresh(h, b.refreshToken))).toBe('UNAUTHENTICATED');
    expect(codeOf(await refresh(h, bystander.refreshToken))).toBeUndefined();
  });

  it('logoutEverywhere needs a signed-in caller', async () => {
    expect(codeOf(await h.gql(ANON, 'mutation { logoutEverywhere }'))).toBe('UNAUTHENTICATED');
  });
});

describe('housekeeping', () => {
  it('deletes sessions and mailed tokens once they have expired, and nothing earlier', async () => {
    const own = await startIdentity();
    try {
      const auth = await register(own, 'tidy@example.com');
      await own.gql(ANON, 'mutation { requestPasswordReset(email: "tidy@example.com") }');
      expect(await own.identity.service.pruneExpired()).toEqual({ sessions: 0, accountTokens: 0 });
      own.clock.advance(DAY * 3);
      // The reset (1 h) and verification (48 h) tokens have expired; the 30-day session has not.
      expect(await own.identity.service.pruneExpired()).toEqual({ sessions: 0, accountTokens: 2 });
      expect(ok<Auth>(await refresh(own, auth.refreshToken), 'refreshSession').user.email).toBe('tidy@example.com');
      own.clock.advance(DAY * 30);
      expect(await own.identity.service.pruneExpired()).toEqual({ sessions: 1, accountTokens: 0 });
    } finally {
      await own.dispose();
    }
  });
});
