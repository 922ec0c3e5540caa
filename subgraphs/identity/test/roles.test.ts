import { parsePrincipal } from '@chatgraph/kit';
import type { CollectionSpec, DocumentStore, StoredDocument } from '@chatgraph/kit/store';
import { ANON, codeOf, mailedToken, ok, principalOf, refresh, register, ROUTER, startIdentity, type Auth, type Harness } from './harness';

const SET_ROLE = 'mutation($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { id role } }';

/** Records the method name of every call on the `users` collection while `recording` is on. */
function countingStore(inner: DocumentStore, calls: string[], recording: { on: boolean }): DocumentStore {
  return {
    start: () => inner.start(),
    stop: () => inner.stop(),
    ping: () => inner.ping(),
    collection<T extends StoredDocument>(spec: CollectionSpec<T>) {
      const collection = inner.collection(spec);
      if (spec.name !== 'users') return collection;
      return new Proxy(collection, {
        get(target, prop, receiver) {
          const value: unknown = Reflect.get(target, prop, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            if (recording.on) calls.push(String(prop));
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    },
  };
}

describe('roles', () => {
  let h: Harness;
  let admin: Auth;
  let user: Auth;
  beforeAll(async () => {
    h = await startIdentity();
    admin = await register(h, 'root@example.com');
    user = await register(h, 'plain@example.com');
  });
  afterAll(() => h.dispose());

  it('makes the first registered user ADMIN and later ones USER', () => {
    expect(admin.user.role).toBe('ADMIN');
    expect(principalOf(admin).role).toBe('ADMIN');
    expect(user.user.role).toBe('USER');
  });

  it('lets an ADMIN change roles, and no one else', async () => {
    const target = await register(h, 'climber@example.com');
    expect(codeOf(await h.gql(principalOf(user), SET_ROLE, { id: target.user.id, role: 'ADMIN' }))).toBe('FORBIDDEN');
    expect(ok(await h.gql(principalOf(admin), SET_ROLE, { id: target.user.id, role: 'ADMIN' }), 'setUserRole')).toEqual({
      id: target.user.id,
      role: 'ADMIN',
    });
    expect(ok(await h.gql(principalOf(admin), SET_ROLE, { id: target.user.id, role: 'USER' }), 'setUserRole')).toEqual({
      id: target.user.id,
      role: 'USER',
    });
    expect(codeOf(await h.gql(principalOf(admin), SET_ROLE, { id: 'no-such-user', role: 'ADMIN' }))).toBe('NOT_FOUND');
  });

  it('refuses to demote the last ADMIN', async () => {
    const res = await h.gql(principalOf(admin), SET_ROLE, { id: admin.user.id, role: 'USER' });
    expect(codeOf(res)).toBe('CONFLICT');
    const second = await register(h, 'deputy@example.com');
    ok(await h.gql(principalOf(admin), SET_ROLE, { id: second.user.id, role: 'ADMIN' }), 'setUserRole');
    // With two admins, one may step down; the remaining one is then the last.
    expect(ok(await h.gql(principalOf(admin), SET_ROLE, { id: admin.user.id, role: 'USER' }), 'setUserRole')).toMatchObject({
      role: 'USER',
    });
    const deputy = ok<Auth>(await refresh(h, second.refreshToken), 'refreshSession');
    expect(codeOf(await h.gql(principalOf(deputy), SET_ROLE, { id: second.user.id, role: 'USER' }))).toBe('CONFLICT');
    // The demoted admin's access token still says ADMIN; identity decides on the stored role.
    expect(codeOf(await h.gql(principalOf(admin), '{ users { edges { cursor } } }'))).toBe('FORBIDDEN');
    expect(codeOf(await h.gql(principalOf(admin), SET_ROLE, { id: user.user.id, role: 'ADMIN' }))).toBe('FORBIDDEN');
    ok(await h.gql(principalOf(deputy), SET_ROLE, { id: admin.user.id, role: 'ADMIN' }), 'setUserRole');
  });

  it('refuses role changes made with an API key', async () => {
    const created = ok<{ secret: string }>(
      await h.gql(principalOf(admin), 'mutation { createApiKey(input: { name: "admin key" }) { secret } }'),
      'createApiKey',
    );
    const res = await h.signedPost('/internal/api-keys/verify', ROUTER, { key: created.secret });
    const viaKey = parsePrincipal(res.json.principal);
    if (!viaKey) throw new Error('no principal');
    expect(codeOf(await h.gql(viaKey, SET_ROLE, { id: user.user.id, role: 'ADMIN' }))).toBe('FORBIDDEN');
  });
});

describe('ADMIN_EMAIL', () => {
  it('becomes ADMIN once the address is verified, not merely registered', async () => {
    const h = await startIdentity({ env: { ADMIN_EMAIL: 'Boss@Example.com' } });
    try {
      await register(h, 'first-comer@example.com');
      const boss = await register(h, 'boss@example.com');
      expect(boss.user.role).toBe('USER');
      const token = await mailedToken(h, 'boss@example.com', 'verify-email');
      ok(await h.gql(ANON, 'mutation($t: String!) { verifyEmail(token: $t) }', { t: token }), 'verifyEmail');
      const refreshed = ok<Auth>(await refresh(h, boss.refreshToken), 'refreshSession');
      expect(refreshed.user.role).toBe('ADMIN');
      expect(principalOf(refreshed).role).toBe('ADMIN');
    } finally {
      await h.dispose();
    }
  });

  it('promotes an already verified account at start-up', async () => {
    const first = await startIdentity();
    await register(first, 'first-comer@example.com');
    const later = await register(first, 'later@example.com');
    ok(
      await first.gql(ANON, 'mutation($t: String!) { verifyEmail(token: $t) }', {
        t: await mailedToken(first, 'later@example.com', 'verify-email'),
      }),
      'verifyEmail',
    );
    await first.stop();
    const h = await startIdentity({ dataDir: first.dataDir, env: { ADMIN_EMAIL: 'later@example.com' } });
    try {
      expect(ok<Auth>(await refresh(h, later.refreshToken), 'refreshSession').user.role).toBe('ADMIN');
    } finally {
      await h.dispose();
    }
  });
});

describe('users (ADMIN)', () => {
  let h: Harness;
  let admin: Auth;
  const emails = ['u1@example.com', 'u2@example.com', 'u3@example.com', 'u4@example.com', 'u5@example.com'];
  beforeAll(async () => {
    h = await startIdentity();
    admin = await register(h, 'pager@example.com');
    for (const email of emails) {
      await register(h, email);
      h.clock.advance(1000);
    }
  });
  afterAll(() => h.dispose());

  const PAGE =
    'query($first: Int, $after: String) { users(first: $first, after: $after) { edges { cursor node { id email role } } pageInfo { hasNextPage endCursor } } }';
  type Page = {
    edges: Array<{ cursor: string; node: { id: string; email: string; role: string } }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };

  it('pages through every user in registration order', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const page: Page = ok<Page>(await h.gql(principalOf(admin), PAGE, { first: 2, after }), 'users');
      expect(page.edges.length).toBeLessThanOrEqual(2);
      seen.push(...page.edges.map((e) => e.node.email));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(['pager@example.com', ...emails]);
  });

  it('pages backward with last/before, newest registrations last, and counts every user', async () => {
    const BACK =
      'query($last: Int, $before: String) { users(last: $last, before: $before) { totalCount edges { node { email } } pageInfo { hasPreviousPage startCursor } } }';
    type Back = {
      totalCount: number;
      edges: Array<{ node: { email: string } }>;
      pageInfo: { hasPreviousPage: boolean; startCursor: string | null };
    };
    const pages: string[][] = [];
    let before: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const page: Back = ok<Back>(await h.gql(principalOf(admin), BACK, { last: 2, before }), 'users');
      expect(page.totalCount).toBe(emails.length + 1);
      pages.unshift(page.edges.map((e) => e.node.email));
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(pages.flat()).toEqual(['pager@example.com', ...emails]);
    expect(pages.at(-1)).toEqual(emails.slice(-2));
    const both = await h.gql(principalOf(admin), 'query { users(first: 1, last: 1) { totalCount } }');
    expect(both.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'last' });
    expect((await h.gql(principalOf(admin), BACK, { last: 101 })).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'last',
    });
    expect((await h.gql(principalOf(admin), BACK, { last: 1, before: '%%' })).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'before',
    });
  });

  it('is FORBIDDEN to a USER and refuses a bad cursor', async () => {
    const plain = await register(h, 'curious@example.com');
    expect(codeOf(await h.gql(principalOf(plain), PAGE, { first: 2 }))).toBe('FORBIDDEN');
    expect(codeOf(await h.gql(ANON, PAGE, { first: 2 }))).toBe('UNAUTHENTICATED');
    expect((await h.gql(principalOf(admin), PAGE, { first: 2, after: 'not-a-cursor' })).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'after',
    });
  });
});

describe('User entity', () => {
  let h: Harness;
  const calls: string[] = [];
  const recording = { on: false };
  const users: Auth[] = [];
  beforeAll(async () => {
    h = await startIdentity({ wrapStore: (store) => countingStore(store, calls, recording) });
    for (const email of ['e0@example.com', 'e1@example.com', 'e2@example.com', 'e3@example.com', 'e4@example.com'])
      users.push(await register(h, email));
  });
  afterAll(() => h.dispose());

  const ENTITIES = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name createdAt } } }';
  const reps = (ids: string[]) => ids.map((id) => ({ __typename: 'User', id }));

  it('resolves N references with one store query', async () => {
    const ids = [...users.map((u) => u.user.id), 'missing-id'];
    calls.length = 0;
    recording.on = true;
    const res = await h.gql<{ _entities: Array<{ id: string; name: string } | null> }>(principalOf(users[1]!), ENTITIES, { r: reps(ids) });
    recording.on = false;
    expect(res.errors).toBeUndefined();
    expect(res.data?._entities.map((e) => e?.id ?? null)).toEqual([...users.map((u) => u.user.id), null]);
    expect(calls).toEqual(['findByIds']);
  });

  it('shows email, role and verification only to the user and to admins', async () => {
    const [adminAuth, alice, bob] = users as [Auth, Auth, Auth];
    const PRIVATE = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email role emailVerified } } }';
    const own = await h.gql<{ _entities: Array<{ email: string } | null> }>(principalOf(alice), PRIVATE, { r: reps([alice.user.id]) });
    expect(own.data?._entities[0]?.email).toBe('e1@example.com');

    const other = await h.gql<{ _entities: Array<{ email: string } | null> }>(principalOf(bob), PRIVATE, { r: reps([alice.user.id]) });
    expect(codeOf(other)).toBe('FORBIDDEN');
    // The private fields are nullable: each is null with its FORBIDDEN error, the user stays.
    expect(other.data?._entities).toEqual([{ id: alice.user.id, email: null, role: null, emailVerified: null }]);
    expect(JSON.stringify(other)).not.toContain('e1@example.com');

    const byAdmin = await h.gql<{ _entities: Array<{ email: string } | null> }>(principalOf(adminAuth), PRIVATE, {
      r: reps([alice.user.id]),
    });
    expect(byAdmin.data?._entities[0]?.email).toBe('e1@example.com');

    const publicOnly = await h.gql(principalOf(bob), 'query($id: ID!) { user(id: $id) { id name } }', { id: alice.user.id });
    expect(ok(publicOnly, 'user')).toEqual({ id: alice.user.id, name: 'Test User' });
    const privateViaQuery = await h.gql(principalOf(bob), 'query($id: ID!) { user(id: $id) { email } }', { id: alice.user.id });
    expect(codeOf(privateViaQuery)).toBe('FORBIDDEN');
  });

  it('gives anonymous callers null references, and UNAUTHENTICATED for user(id)', async () => {
    const res = await h.gql<{ _entities: unknown[] }>(ANON, ENTITIES, { r: reps([users[0]!.user.id]) });
    expect(res.errors).toBeUndefined();
    expect(res.data?._entities).toEqual([null]);
    expect(codeOf(await h.gql(ANON, 'query($id: ID!) { user(id: $id) { id } }', { id: users[0]!.user.id }))).toBe('UNAUTHENTICATED');
  });
});
