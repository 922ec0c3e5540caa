import { createLogger, encodePrincipalRecord, HttpError, PRINCIPAL_KEYS, type Principal, type UserPrincipal } from '@chatgraph/kit';
import { createEmbeddedKv, KvUnavailableError, type KvStore } from '@chatgraph/kit/kv';
import { PrincipalGuard } from '../src/principalGuard';

/** The router's check of a verified credential against identity's principal directory. */
let kv: KvStore;
const logger = createLogger({ name: 'guard', level: 'silent' });
const ada: UserPrincipal = { kind: 'user', userId: 'ada', role: 'ADMIN', via: 'jwt', sessionId: 's1' };
const key: UserPrincipal = { kind: 'user', userId: 'ada', role: 'ADMIN', via: 'apiKey', apiKeyId: 'k1', scopes: ['read'] };

beforeEach(async () => {
  kv = createEmbeddedKv({});
  await kv.start();
});
afterEach(() => kv.stop());

async function refusal(check: Promise<Principal>): Promise<string | undefined> {
  try {
    await check;
    return undefined;
  } catch (err) {
    if (err instanceof HttpError) return `${err.code}: ${err.message}`;
    throw err;
  }
}

describe('PrincipalGuard', () => {
  it('passes a principal the directory agrees with, as the same object', async () => {
    await kv.set(PRINCIPAL_KEYS.ready, '1');
    await kv.set(PRINCIPAL_KEYS.user('ada'), encodePrincipalRecord({ status: 'active', role: 'ADMIN' }));
    const guard = new PrincipalGuard({ kv, cacheMs: 0, logger });
    expect(await guard.check(ada)).toBe(ada);
    expect(await guard.check({ kind: 'anonymous' })).toEqual({ kind: 'anonymous' });
  });

  it('refuses unknown, disabled and deleted users, logged-out sessions and revoked keys', async () => {
    await kv.set(PRINCIPAL_KEYS.ready, '1');
    const guard = new PrincipalGuard({ kv, cacheMs: 0, logger });
    expect(await refusal(guard.check(ada))).toBe('UNAUTHENTICATED: Invalid or expired credentials');
    await kv.set(PRINCIPAL_KEYS.user('ada'), encodePrincipalRecord({ status: 'disabled', role: 'ADMIN' }));
    expect(await refusal(guard.check(ada))).toBe('UNAUTHENTICATED: This account is disabled');
    await kv.set(PRINCIPAL_KEYS.user('ada'), encodePrincipalRecord({ status: 'deleted', role: 'ADMIN' }));
    expect(await refusal(guard.check(ada))).toBe('UNAUTHENTICATED: Invalid or expired credentials');
    await kv.set(PRINCIPAL_KEYS.user('ada'), encodePrincipalRecord({ status: 'active', role: 'ADMIN' }));
    await kv.set(PRINCIPAL_KEYS.revokedSession('s1'), '1');
    expect(await refusal(guard.check(ada))).toBe('UNAUTHENTICATED: Your session has ended; sign in again');
    expect(await guard.check(key)).toBe(key);
    await kv.set(PRINCIPAL_KEYS.revokedApiKey('k1'), '1');
    expect(await refusal(guard.check(key))).toBe('UNAUTHENTICATED: Invalid or revoked API key');
  });

  it('applies the stored role over the token’s, keeping one object per change', async () => {
    await kv.set(PRINCIPAL_KEYS.ready, '1');
    await kv.set(PRINCIPAL_KEYS.user('ada'), encodePrincipalRecord({ status: 'active', role: 'USER' }));
    const guard = new PrincipalGuard({ kv, cacheMs: 0, logger });
    const demoted = await guard.check(ada);
    expect(demoted).toEqual({ ...ada, role: 'USER' });
    expect(await guard.check(ada)).toBe(demoted);
  });

  it('checks by signature only while the directory is absent (no ready marker) or the kv cannot be read', async () => {
    const absent = new PrincipalGuard({ kv, cacheMs: 0, logger });
    expect(await absent.check(ada)).toBe(ada);
    const broken = { get: () => Promise.reject(new KvUnavailableError('down')) } as unknown as KvStore;
    expect(await new PrincipalGuard({ kv: broken, cacheMs: 0, logger }).check(ada)).toBe(ada);
  });

  it('reads each key at most once per cacheMs', async () => {
    await kv.set(PRINCIPAL_KEYS.ready, '1');
    await kv.set(PRINCIPAL_KEYS.user('ada'), encodePrincipalRecord({ status: 'active', role: 'ADMIN' }));
    let reads = 0;
    const counting = { get: (k: string) => ((reads += 1), kv.get(k)) } as unknown as KvStore;
    const guard = new PrincipalGuard({ kv: counting, cacheMs: 60_000, logger });
    await Promise.all([guard.check(ada), guard.check(ada)]);
    await guard.check(ada);
    expect(reads).toBe(3);
  });
});
