import {
  createLogger,
  JWT_AUDIENCE,
  JWT_ISSUER,
  peekKid,
  publicKeyFromJwk,
  verifyJwt,
  type AccessTokenClaims,
  type PublicJwk,
} from '@chatgraph/kit';
import { buildIdentity } from '../src/server';
import { DAY, login, MINUTE, ok, principalOf, refresh, register, startIdentity, TestClock, type Auth, type Harness } from './harness';

async function jwks(h: Harness): Promise<{ res: Response; keys: PublicJwk[] }> {
  const res = await fetch(`${h.base}/.well-known/jwks.json`);
  const body = (await res.json()) as { keys: PublicJwk[] };
  return { res, keys: body.keys };
}

/** Verifies an access token the way the router does: pick the published key by `kid`, then check it. */
async function verifyWithJwks(h: Harness, token: string): Promise<AccessTokenClaims> {
  const { keys } = await jwks(h);
  const kid = peekKid(token);
  const jwk = keys.find((k) => k.kid === kid);
  if (!jwk) throw new Error(`kid ${kid} is not published`);
  return verifyJwt(token, publicKeyFromJwk(jwk), { now: h.clock.now().getTime() });
}

describe('access tokens and JWKS', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startIdentity();
  });
  afterAll(() => h.dispose());

  it('publishes the public key without authentication, cacheable for a minute', async () => {
    const { res, keys } = await jwks(h);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(Object.keys(keys[0]!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
  });

  it('issues Ed25519 JWTs that verify against the JWKS with the documented claims', async () => {
    const auth = await register(h, 'jwt@example.com');
    const claims = await verifyWithJwks(h, auth.accessToken);
    const iat = Math.floor(h.clock.now().getTime() / 1000);
    expect(claims).toEqual({
      iss: JWT_ISSUER,
      aud: JWT_AUDIENCE,
      sub: auth.user.id,
      role: auth.user.role,
      sid: expect.any(String),
      iat,
      exp: iat + 900,
      jti: expect.any(String),
    });
    expect(auth.refreshToken.startsWith(`${claims.sid}.`)).toBe(true);
    const header = JSON.parse(Buffer.from(auth.accessToken.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(header).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: (await jwks(h)).keys[0]?.kid });
    const again = ok<Auth>(await login(h, 'jwt@example.com'), 'login');
    expect((await verifyWithJwks(h, again.accessToken)).jti).not.toBe(claims.jti);
  });

  it('rotates on demand: new tokens use the new key, old tokens keep verifying until they expire', async () => {
    const before = await register(h, 'rotation@example.com');
    const oldKid = peekKid(before.accessToken);
    const newKid = await h.identity.service.rotateSigningKey();
    expect(newKid).not.toBe(oldKid);

    const after = ok<Auth>(await refresh(h, before.refreshToken), 'refreshSession');
    expect(peekKid(after.accessToken)).toBe(newKid);
    expect((await jwks(h)).keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    expect((await verifyWithJwks(h, before.accessToken)).sub).toBe(before.user.id);
    expect((await verifyWithJwks(h, after.accessToken)).sub).toBe(before.user.id);

    // Once every token the old key signed has expired (plus margins), it is no longer published.
    h.clock.advance(900_000 + 3 * MINUTE);
    expect((await jwks(h)).keys.map((k) => k.kid)).toEqual([newKid]);
  });
});

describe('scheduled rotation', () => {
  it('replaces a key older than SIGNING_KEY_ROTATION_DAYS', async () => {
    const h = await startIdentity({ env: { SIGNING_KEY_ROTATION_DAYS: '7' } });
    try {
      const before = await register(h, 'weekly@example.com');
      const oldKid = peekKid(before.accessToken);
      h.clock.advance(6 * DAY);
      await h.identity.service.rotateSigningKeyIfDue();
      expect((await jwks(h)).keys.map((k) => k.kid)).toEqual([oldKid]);

      h.clock.advance(DAY);
      await h.identity.service.rotateSigningKeyIfDue();
      const { keys } = await jwks(h);
      expect(keys).toHaveLength(2);
      const fresh = ok<Auth>(await login(h, 'weekly@example.com'), 'login');
      expect(peekKid(fresh.accessToken)).not.toBe(oldKid);
      expect(keys[0]?.kid).toBe(peekKid(fresh.accessToken));
    } finally {
      await h.dispose();
    }
  });
});

describe('several replicas on one store', () => {
  it('a replica picks up a rotation made by another within a minute, and the old key stays published meanwhile', async () => {
    const h = await startIdentity();
    try {
      const other = buildIdentity({
        store: h.store,
        mailer: h.mailer,
        config: h.config,
        logger: createLogger({ name: 'replica', level: 'silent' }),
        now: h.clock.now,
      });
      const before = await register(h, 'replica@example.com');
      const oldKid = peekKid(before.accessToken);
      const newKid = await other.service.rotateSigningKey();

      const cached = ok<Auth>(await login(h, 'replica@example.com'), 'login');
      expect(peekKid(cached.accessToken)).toBe(oldKid);
      expect((await verifyWithJwks(h, cached.accessToken)).sub).toBe(before.user.id);

      h.clock.advance(MINUTE);
      const fresh = ok<Auth>(await login(h, 'replica@example.com'), 'login');
      expect(peekKid(fresh.accessToken)).toBe(newKid);
    } finally {
      await h.dispose();
    }
  });
});

describe('restart', () => {
  it('keeps accounts, sessions and signing keys on the same data directory', async () => {
    const clock = new TestClock();
    const first = await startIdentity({ clock });
    const auth = await register(first, 'durable@example.com');
    const kids = (await jwks(first)).keys.map((k) => k.kid);
    await first.stop();
    await first.stop();

    const second = await startIdentity({ dataDir: first.dataDir, clock });
    try {
      expect((await jwks(second)).keys.map((k) => k.kid)).toEqual(kids);
      expect((await verifyWithJwks(second, auth.accessToken)).sub).toBe(auth.user.id);
      const again = ok<Auth>(await login(second, 'durable@example.com'), 'login');
      expect(again.user.id).toBe(auth.user.id);
      expect(peekKid(again.accessToken)).toBe(kids[0]);
      const refreshed = ok<Auth>(await refresh(second, auth.refreshToken), 'refreshSession');
      expect(principalOf(refreshed).sessionId).toBe(principalOf(auth).sessionId);
    } finally {
      await second.dispose();
    }
  });

  it('rehashes a password made with older argon2 parameters at the next sign-in', async () => {
    const first = await startIdentity();
    await register(first, 'upgrade@example.com');
    await first.stop();
    const second = await startIdentity({ dataDir: first.dataDir, env: { ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '2' } });
    try {
      const { collectionSpecs } = await import('../src/store');
      const users = second.store.collection(collectionSpecs.users);
      expect((await users.findOne({ email: 'upgrade@example.com' }))?.passwordHash).toContain('m=4096');
      ok(await login(second, 'upgrade@example.com'), 'login');
      expect((await users.findOne({ email: 'upgrade@example.com' }))?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=8192,p=1,t=2\$/);
      ok(await login(second, 'upgrade@example.com'), 'login');
    } finally {
      await second.dispose();
    }
  });
});
