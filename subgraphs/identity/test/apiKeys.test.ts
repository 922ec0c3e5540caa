import { parsePrincipal, signRequest, type Principal } from '@chatgraph/kit';
import { ANON, codeOf, DAY, MINUTE, ok, principalOf, register, ROUTER, SECRET, startIdentity, type Auth, type Harness } from './harness';

let h: Harness;
let owner: Auth;
beforeAll(async () => {
  h = await startIdentity();
  owner = await register(h, 'keys@example.com');
});
afterAll(() => h.dispose());

const VERIFY = '/internal/api-keys/verify';
const CREATE =
  'mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id name prefix scopes createdAt lastUsedAt expiresAt } } }';
const LIST = '{ me { apiKeys { id name prefix scopes createdAt lastUsedAt expiresAt } } }';

interface Created {
  secret: string;
  apiKey: {
    id: string;
    name: string;
    prefix: string;
    scopes: string[];
    createdAt: string;
    lastUsedAt: string | null;
    expiresAt: string | null;
  };
}

async function createKey(auth: Auth, input: Record<string, unknown>): Promise<Created> {
  return ok<Created>(await h.gql(principalOf(auth), CREATE, { i: input }), 'createApiKey');
}

async function listKeys(auth: Auth): Promise<Created['apiKey'][]> {
  return ok<{ apiKeys: Created['apiKey'][] }>(await h.gql(principalOf(auth), LIST), 'me').apiKeys;
}

const verify = (key: unknown) => h.signedPost(VERIFY, ROUTER, { key });

/** The principal the router would forward for this API key. */
async function keyPrincipal(secret: string): Promise<Principal> {
  const principal = parsePrincipal((await verify(secret)).json.principal);
  if (!principal) throw new Error('the verify route did not return a principal');
  return principal;
}

describe('createApiKey', () => {
  it('returns the secret once; listing shows the prefix, never the secret', async () => {
    const created = await createKey(owner, { name: 'CI' });
    expect(created.secret).toMatch(/^cgk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created.apiKey).toMatchObject({ name: 'CI', scopes: ['READ', 'WRITE'], lastUsedAt: null, expiresAt: null });
    expect(created.secret.startsWith(created.apiKey.prefix)).toBe(true);
    expect(created.apiKey.prefix).toHaveLength(12);

    const listed = await listKeys(owner);
    expect(listed.find((k) => k.id === created.apiKey.id)).toEqual(created.apiKey);
    expect(JSON.stringify(listed)).not.toContain(created.secret.slice(12));
  });

  it('validates name, scopes and expiresInDays', async () => {
    const field = async (input: Record<string, unknown>) => (await h.gql(principalOf(owner), CREATE, { i: input })).errors?.[0]?.extensions;
    expect(await field({ name: '' })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    // A scope outside the enum is refused by GraphQL's input coercion.
    expect(await field({ name: 'x', scopes: ['ADMIN'] })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await field({ name: 'x', scopes: [] })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'scopes' });
    expect(await field({ name: 'x', expiresInDays: 0 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'expiresInDays' });
    const readOnly = await createKey(owner, { name: 'reader', scopes: ['READ', 'READ'] });
    expect(readOnly.apiKey.scopes).toEqual(['READ']);
  });

  it('limits a user to 25 active keys', async () => {
    const busy = await register(h, 'busy@example.com');
    for (let i = 0; i < 25; i++) await createKey(busy, { name: `key ${i}` });
    const refused = await h.gql(principalOf(busy), CREATE, { i: { name: 'one too many' } });
    expect(codeOf(refused)).toBe('CONFLICT');
    const [first] = await listKeys(busy);
    ok(
      await h.gql(principalOf(busy), 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedApiKeyId } }', { id: first?.id }),
      'revokeApiKey',
    );
    await createKey(busy, { name: 'fits again' });
  });

  it('is refused to a caller signed in with an API key, and to anonymous callers', async () => {
    const created = await createKey(owner, { name: 'delegated' });
    const viaKey = await keyPrincipal(created.secret);
    expect(codeOf(await h.gql(viaKey, CREATE, { i: { name: 'minted by a key' } }))).toBe('FORBIDDEN');
    expect(codeOf(await h.gql(viaKey, 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedApiKeyId } }', { id: created.apiKey.id }))).toBe(
      'FORBIDDEN',
    );
    expect(codeOf(await h.gql(viaKey, 'mutation { changePassword(input: { currentPassword: "x", newPassword: "yyyyyyyyyy" }) }'))).toBe(
      'FORBIDDEN',
    );
    expect(codeOf(await h.gql(viaKey, 'mutation { logoutEverywhere }'))).toBe('FORBIDDEN');
    expect(codeOf(await h.gql(ANON, CREATE, { i: { name: 'anon' } }))).toBe('UNAUTHENTICATED');
  });
});

describe('the internal verify route', () => {
  it('turns a valid key into its principal and records use at most once a minute', async () => {
    const created = await createKey(owner, { name: 'verified', scopes: ['READ'] });
    const res = await verify(created.secret);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      principal: {
        kind: 'user',
        userId: owner.user.id,
        role: owner.user.role,
        via: 'apiKey',
        apiKeyId: created.apiKey.id,
        scopes: ['read'],
      },
    });
    const usedAt = async () => (await listKeys(owner)).find((k) => k.id === created.apiKey.id)?.lastUsedAt;
    const first = await usedAt();
    expect(first).toBe(h.clock.now().toISOString());

    h.clock.advance(30_000);
    await verify(created.secret);
    expect(await usedAt()).toBe(first);

    h.clock.advance(MINUTE);
    await verify(created.secret);
    expect(await usedAt()).toBe(h.clock.now().toISOString());
  });

  it('refuses unknown, tampered, malformed and missing keys with one answer', async () => {
    const created = await createKey(owner, { name: 'tampered' });
    const last = created.secret.at(-1) === 'A' ? 'B' : 'A';
    for (const key of [created.secret.slice(0, -1) + last, 'cgk_0000000000000000_' + 'A'.repeat(43), 'garbage', '', 42, undefined]) {
      const res = await verify(key);
      expect(res).toEqual({ status: 401, json: { error: 'invalid api key' } });
    }
  });

  it('answers only to a service principal, and only when signed', async () => {
    const created = await createKey(owner, { name: 'guarded' });
    expect((await h.signedPost(VERIFY, principalOf(owner), { key: created.secret })).status).toBe(403);
    expect((await h.signedPost(VERIFY, ANON, { key: created.secret })).status).toBe(403);
    const unsigned = await fetch(`${h.base}${VERIFY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: created.secret }),
    });
    expect(unsigned.status).toBe(401);
    const body = JSON.stringify({ key: created.secret });
    const wrongSecret = await fetch(`${h.base}${VERIFY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signRequest(`${SECRET}-other`, ROUTER, body) },
      body,
    });
    expect(wrongSecret.status).toBe(401);
  });

  it('refuses a key after it expires', async () => {
    const created = await createKey(owner, { name: 'short-lived', expiresInDays: 1 });
    expect(created.apiKey.expiresAt).toBe(new Date(h.clock.now().getTime() + DAY).toISOString());
    expect((await verify(created.secret)).status).toBe(200);
    h.clock.advance(DAY);
    expect((await verify(created.secret)).status).toBe(401);
  });
});

describe('revokeApiKey', () => {
  it('revokes the owner’s key; the key stops working and leaves the list', async () => {
    const created = await createKey(owner, { name: 'to revoke' });
    expect(
      ok(
        await h.gql(principalOf(owner), 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedApiKeyId } }', { id: created.apiKey.id }),
        'revokeApiKey',
      ),
    ).toEqual({ revokedApiKeyId: created.apiKey.id });
    expect((await verify(created.secret)).status).toBe(401);
    expect((await listKeys(owner)).map((k) => k.id)).not.toContain(created.apiKey.id);
  });

  it('answers NOT_FOUND for someone else’s key and leaves it working', async () => {
    const created = await createKey(owner, { name: 'not yours' });
    const other = await register(h, 'intruder@example.com');
    const res = await h.gql(principalOf(other), 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedApiKeyId } }', {
      id: created.apiKey.id,
    });
    expect(codeOf(res)).toBe('NOT_FOUND');
    expect(codeOf(await h.gql(principalOf(other), 'mutation { revokeApiKey(id: "nope") { revokedApiKeyId } }'))).toBe('NOT_FOUND');
    expect((await verify(created.secret)).status).toBe(200);
  });
});

describe('API-key callers', () => {
  it('read their profile; writing needs the write scope', async () => {
    const reader = await keyPrincipal((await createKey(owner, { name: 'r', scopes: ['READ'] })).secret);
    const writer = await keyPrincipal((await createKey(owner, { name: 'w', scopes: ['READ', 'WRITE'] })).secret);
    expect(ok<{ email: string }>(await h.gql(reader, '{ me { email } }'), 'me').email).toBe('keys@example.com');
    expect(codeOf(await h.gql(reader, 'mutation { updateProfile(input: { name: "R" }) { name } }'))).toBe('FORBIDDEN');
    expect(
      ok<{ name: string }>(await h.gql(writer, 'mutation { updateProfile(input: { name: "W" }) { name } }'), 'updateProfile').name,
    ).toBe('W');
  });

  it('others cannot list a user’s keys', async () => {
    const other = await register(h, 'snoop@example.com');
    const res = await h.gql(principalOf(other), 'query($id: ID!) { user(id: $id) { name apiKeys { id } } }', { id: owner.user.id });
    expect(codeOf(res)).toBe('FORBIDDEN');
  });
});
