import { encodePrincipalRecord, parsePrincipalRecord, PRINCIPAL_KEYS } from '@chatgraph/kit';
import { createEmbeddedKv, type KvStore } from '@chatgraph/kit/kv';
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

const encodeOf = (role: 'USER' | 'ADMIN') => encodePrincipalRecord({ status: 'active', role });
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
    for (const key of [
      PRINCIPAL_KEYS.ready,
      PRINCIPAL_KEYS.user(ada.user.id),
      PRINCIPAL_KEYS.user(bob.user.id),
      PRINCIPAL_KEYS.revokedSession(claimsOf(loggedOut.accessToken).sid),
    ])
      await kv.del(key);

    await h.identity.service.principals.ensure();

    expect(await recordOf(ada.user.id)).toEqual({ status: 'active', role: 'ADMIN' });
    expect(await recordOf(bob.user.id)).toEqual({ status: 'active', role: 'USER' });
    expect(await kv.get(PRINCIPAL_KEYS.revokedSession(claimsOf(loggedOut.accessToken).sid))).toBe('1');
    expect(await kv.get(PRINCIPAL_KEYS.ready)).not.toBeNull();
  });

  it('keeps a change made while the whole directory is being re-published (the re-publication read the user before it)', async () => {
    const stale = encodeOf('USER');
    let bobId = '';
    let raced = false;
    // The re-publication is about to write bob as it read him (USER); a live change to ADMIN lands just before.
    const racing = new Proxy(kv, {
      get(target, prop) {
        if (prop === 'set') {
          return async (key: string, value: string, options?: { ttlMs?: number }) => {
            if (!raced && key === PRINCIPAL_KEYS.user(bobId) && value === stale && (await target.get(PRINCIPAL_KEYS.ready)) === null) {
              raced = true;
              await h.identity.service.principals.user({ _id: bobId, role: 'ADMIN' });
            }
            return target.set(key, value, options);
          };
        }
        const member: unknown = Reflect.get(target, prop);
        return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(target) : member;
      },
    });
    await h.dispose();
    h = await startIdentity({ kv: racing });
    await register(h, 'first@example.com');
    bobId = (await register(h, 'bob@example.com')).user.id;
    await kv.del(PRINCIPAL_KEYS.ready);
    await h.identity.service.principals.ensure();
    expect(raced).toBe(true);
    expect(await recordOf(bobId)).toEqual({ status: 'active', role: 'ADMIN' });
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
