import { createEmbeddedKv, parsePrincipalRecord, PRINCIPAL_KEYS, type KvStore } from '@chatgraph/kit';
import { claimsOf, login, register, startIdentity, ANON, type Harness } from './harness';

/**
 * The principal directory identity publishes for the routers (kit principalRecords.ts): written
 * with each change, and re-published whole when the kv lost it.
 */
let kv: KvStore;
let h: Harness;

beforeEach(async () => {
  kv = createEmbeddedKv({});
  await kv.start();
  h = await startIdentity({ kv });
});

afterEach(async () => {
  await h.dispose();
  await kv.stop();
});

const recordOf = async (userId: string) => parsePrincipalRecord(await kv.get(PRINCIPAL_KEYS.user(userId)));

describe('principal directory', () => {
  it('publishes a user at registration, marks logged-out sessions, and is ready', async () => {
    const ada = await register(h, 'ada@example.com');
    expect(await recordOf(ada.user.id)).toEqual({ status: 'active', role: 'ADMIN' });
    expect(await kv.get(PRINCIPAL_KEYS.ready)).not.toBeNull();
    const sid = claimsOf(ada.accessToken).sid;
    expect(await kv.get(PRINCIPAL_KEYS.revokedSession(sid))).toBeNull();
    await h.gql(ANON, 'mutation($t: String!) { logout(refreshToken: $t) }', { t: ada.refreshToken });
    expect(await kv.get(PRINCIPAL_KEYS.revokedSession(sid))).toBe('1');
  });

  it('re-publishes everything when the kv lost it (a restart without persistence)', async () => {
    const ada = await register(h, 'ada@example.com');
    const bob = await register(h, 'bob@example.com');
    const loggedOut = (await login(h, 'bob@example.com')).data?.login as { refreshToken: string; accessToken: string };
    await h.gql(ANON, 'mutation($t: String!) { logout(refreshToken: $t) }', { t: loggedOut.refreshToken });
    for (const key of [PRINCIPAL_KEYS.ready, PRINCIPAL_KEYS.user(ada.user.id), PRINCIPAL_KEYS.user(bob.user.id), PRINCIPAL_KEYS.revokedSession(claimsOf(loggedOut.accessToken).sid)]) await kv.del(key);

    await h.identity.service.principals.ensure();

    expect(await recordOf(ada.user.id)).toEqual({ status: 'active', role: 'ADMIN' });
    expect(await recordOf(bob.user.id)).toEqual({ status: 'active', role: 'USER' });
    expect(await kv.get(PRINCIPAL_KEYS.revokedSession(claimsOf(loggedOut.accessToken).sid))).toBe('1');
    expect(await kv.get(PRINCIPAL_KEYS.ready)).not.toBeNull();
  });

  it('publishes the existing users at start, into a kv that never saw them', async () => {
    const ada = await register(h, 'ada@example.com');
    await h.stop();
    await kv.stop();
    kv = createEmbeddedKv({});
    await kv.start();
    h = await startIdentity({ kv, dataDir: h.dataDir });
    expect(await recordOf(ada.user.id)).toEqual({ status: 'active', role: 'ADMIN' });
  });
});
