/**
 * Sessions and roles end when they should, through the router of the one-process stack: a
 * logout, logoutEverywhere, password change, API-key revocation, role change, disable or delete
 * takes effect on HTTP and on graphql-ws sockets opened before it, and a validly signed token of
 * a user that does not exist is refused. The router reads identity's principal directory from the
 * shared kv (short cache and re-check intervals here, so each case settles in well under a second).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JWT_AUDIENCE, JWT_ISSUER, loadConfig, signedGraphQL, signJwt, type Principal } from '@chatgraph/kit';
import type { Subscription } from '@chatgraph/kit/events';
import { identityUserV1, type IdentityUserEvent } from '@chatgraph/schema';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { codeOf, codeOnceAccepted, codeWhenRefused, dataOf, gql, openSocket } from './sessionsSupport';

let stack: EmbeddedStack;
let dataDir: string;
const password = 'a perfectly fine passphrase';
/** Long enough for a re-check pass (100 ms here) to run many times; a socket still open after it was never cut off. */
const SOCKET_BOUND_MS = 5000;

interface Session {
  accessToken: string;
  refreshToken: string;
  user: { id: string };
}

const AUTH = 'accessToken refreshToken user { id }';
const run = (token: string | undefined, query: string, variables?: Record<string, unknown>) => gql(stack.url, token, query, variables);

async function register(email: string): Promise<Session> {
  return dataOf<{ register: Session }>(
    await run(undefined, `mutation($input: RegisterInput!) { register(input: $input) { ${AUTH} } }`, {
      input: { email, password, name: 'Someone' },
    }),
  ).register;
}

async function login(email: string, pass = password): Promise<Session> {
  return dataOf<{ login: Session }>(
    await run(undefined, `mutation($input: LoginInput!) { login(input: $input) { ${AUTH} } }`, { input: { email, password: pass } }),
  ).login;
}

const me = (token: string) => run(token, '{ me { id } }');

let admin: Session;
/** Every identity.user.v1 event identity published, as a consumer sees them. */
const userEvents: IdentityUserEvent[] = [];
let eventsSubscription: Subscription;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-sessions-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    API_KEY_CACHE_MS: '100',
    PRINCIPAL_CACHE_MS: '50',
    PRINCIPAL_RECHECK_MS: '100',
    LOG_LEVEL: 'silent',
  });
  eventsSubscription = await stack.bus.subscribe({
    groupId: 'test.identity-events',
    topics: [identityUserV1.topic],
    handler: async (delivery) => {
      userEvents.push(identityUserV1.validate(delivery.event));
    },
  });
  // The first account is the bootstrap ADMIN.
  admin = await register('admin@example.com');
});

afterAll(async () => {
  await eventsSubscription.stop();
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('sessions end when they should', () => {
  it('refuses a logged-out session’s access token on HTTP and closes its open socket', async () => {
    const session = await register('logout@example.com');
    expect(codeOf(await me(session.accessToken))).toBeUndefined();
    const socket = await openSocket(stack.url, session.accessToken);

    expect(dataOf(await run(undefined, 'mutation($t: String!) { logout(refreshToken: $t) }', { t: session.refreshToken }))).toEqual({
      logout: true,
    });

    expect(await codeWhenRefused(() => me(session.accessToken))).toBe('UNAUTHENTICATED');
    expect(await socket.closedWithin(SOCKET_BOUND_MS)).toBe(4403);
  });

  it('ends every session of the user, with its sockets, on logoutEverywhere and on a password change', async () => {
    await register('everywhere@example.com');
    const [a, b] = [await login('everywhere@example.com'), await login('everywhere@example.com')];
    const sockets = [await openSocket(stack.url, a.accessToken), await openSocket(stack.url, b.accessToken)];
    dataOf(await run(a.accessToken, 'mutation { logoutEverywhere }'));
    for (const s of [a, b]) expect(await codeWhenRefused(() => me(s.accessToken))).toBe('UNAUTHENTICATED');
    for (const socket of sockets) expect(await socket.closedWithin(SOCKET_BOUND_MS)).toBe(4403);

    const c = await login('everywhere@example.com');
    const d = await login('everywhere@example.com');
    const socket = await openSocket(stack.url, d.accessToken);
    dataOf(
      await run(c.accessToken, 'mutation($input: ChangePasswordInput!) { changePassword(input: $input) }', {
        input: { currentPassword: password, newPassword: 'a brand new passphrase' },
      }),
    );
    for (const s of [c, d]) expect(await codeWhenRefused(() => me(s.accessToken))).toBe('UNAUTHENTICATED');
    expect(await socket.closedWithin(SOCKET_BOUND_MS)).toBe(4403);
    // The new password opens a new session that works.
    expect(codeOf(await me((await login('everywhere@example.com', 'a brand new passphrase')).accessToken))).toBeUndefined();
  });

  it('cuts off a socket opened with an API key once the key is revoked', async () => {
    const owner = await register('keys@example.com');
    const created = dataOf<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
      await run(owner.accessToken, 'mutation { createApiKey(input: { name: "ci" }) { secret apiKey { id } } }'),
    ).createApiKey;
    const socket = await openSocket(stack.url, created.secret);
    dataOf(await run(owner.accessToken, 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedApiKeyId } }', { id: created.apiKey.id }));
    expect(await socket.closedWithin(SOCKET_BOUND_MS)).toBe(4403);
    expect(await codeWhenRefused(() => me(created.secret))).toBe('UNAUTHENTICATED');
  });

  it('takes admin reads away from a demoted ADMIN at once, and closes their socket', async () => {
    const other = await register('other@example.com');
    const deputy = await register('deputy@example.com');
    dataOf(await run(admin.accessToken, 'mutation($id: ID!) { setUserRole(userId: $id, role: ADMIN) { id } }', { id: deputy.user.id }));
    // A fresh token says ADMIN; the role is read from the directory, so the old token works as ADMIN too.
    const readEmail = (token: string) => run(token, 'query($id: ID!) { user(id: $id) { email } }', { id: other.user.id });
    const adminToken = (await login('deputy@example.com')).accessToken;
    expect(await codeWhenRefused(() => readEmail(adminToken), 1)).toBeUndefined();
    const socket = await openSocket(stack.url, adminToken);

    dataOf(await run(admin.accessToken, 'mutation($id: ID!) { setUserRole(userId: $id, role: USER) { id } }', { id: deputy.user.id }));
    // The token still says ADMIN for up to its lifetime; the router applies the stored role.
    expect(await codeWhenRefused(() => readEmail(adminToken))).toBe('FORBIDDEN');
    expect(await socket.closedWithin(SOCKET_BOUND_MS)).toBe(4403);
  });

  it('refuses a validly signed token of a user that does not exist', async () => {
    const key = await stack.identity.service.signingKeys.signingKey();
    const iat = Math.floor(Date.now() / 1000);
    const forged = signJwt(
      {
        iss: JWT_ISSUER,
        aud: JWT_AUDIENCE,
        sub: randomUUID().replaceAll('-', ''),
        role: 'ADMIN',
        sid: randomUUID().replaceAll('-', ''),
        iat,
        exp: iat + 300,
        jti: randomUUID(),
      },
      key,
    );
    expect(codeOf(await run(forged, 'mutation { createConversation(input: { title: "ghost" }) { id } }'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await me(forged))).toBe('UNAUTHENTICATED');
  });

  it('lets an ADMIN disable an account: refused on HTTP, its socket closed, no sign-in until enabled', async () => {
    const victim = await register('disabled@example.com');
    const socket = await openSocket(stack.url, victim.accessToken);
    expect(codeOf(await run(victim.accessToken, 'mutation($id: ID!) { disableUser(id: $id) { id } }', { id: admin.user.id }))).toBe(
      'FORBIDDEN',
    );

    dataOf(await run(admin.accessToken, 'mutation($id: ID!) { disableUser(id: $id) { id } }', { id: victim.user.id }));
    expect(await codeWhenRefused(() => me(victim.accessToken))).toBe('UNAUTHENTICATED');
    expect(await socket.closedWithin(SOCKET_BOUND_MS)).toBe(4403);
    expect(
      codeOf(
        await run(undefined, 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', { t: victim.refreshToken }),
      ),
    ).toBe('UNAUTHENTICATED');
    expect(
      codeOf(await run(undefined, `mutation { login(input: { email: "disabled@example.com", password: "${password}" }) { accessToken } }`)),
    ).toBe('UNAUTHENTICATED');

    dataOf(await run(admin.accessToken, 'mutation($id: ID!) { enableUser(id: $id) { id } }', { id: victim.user.id }));
    // The routers keep a principal's record up to PRINCIPAL_CACHE_MS: enabling takes effect within it.
    const enabled = (await login('disabled@example.com')).accessToken;
    expect(await codeOnceAccepted(() => me(enabled))).toBeUndefined();
  });

  it('lets an ADMIN delete an account: identity forgets it and conversation deletes its conversations and messages through identity.user.v1', async () => {
    const doomed = await register('doomed@example.com');
    const sent = dataOf<{ sendMessage: { conversation: { id: string }; userMessage: { id: string } } }>(
      await run(
        doomed.accessToken,
        'mutation { sendMessage(input: { content: "remember this" }) { conversation { id } userMessage { id } } }',
      ),
    ).sendMessage;
    const socket = await openSocket(stack.url, doomed.accessToken);
    // Read straight from the conversation subgraph as the user: what conversation still holds.
    const principal: Principal = { kind: 'user', userId: doomed.user.id, role: 'USER', via: 'jwt' };
    const held = async () =>
      (
        await signedGraphQL<{ conversation: { id: string } | null; _entities: Array<{ id: string } | null> }>(
          `${stack.conversation.url}/graphql`,
          stack.signingSecret,
          principal,
          'query($c: ID!, $m: [_Any!]!) { conversation(id: $c) { id } _entities(representations: $m) { ... on Message { id } } }',
          { c: sent.conversation.id, m: [{ __typename: 'Message', id: sent.userMessage.id }] },
        )
      ).data;
    expect(await held()).toEqual({ conversation: { id: sent.conversation.id }, _entities: [{ id: sent.userMessage.id }] });

    expect(
      dataOf(await run(admin.accessToken, 'mutation($id: ID!) { deleteUser(id: $id) { deletedUserId } }', { id: doomed.user.id })),
    ).toEqual({ deleteUser: { deletedUserId: doomed.user.id } });

    expect(await codeWhenRefused(() => me(doomed.accessToken))).toBe('UNAUTHENTICATED');
    expect(await socket.closedWithin(SOCKET_BOUND_MS)).toBe(4403);
    expect(dataOf(await run(admin.accessToken, 'query($id: ID!) { user(id: $id) { id } }', { id: doomed.user.id }))).toEqual({
      user: null,
    });
    let left = await held();
    for (let i = 0; i < 100 && (left?.conversation || left?._entities[0]); i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = await held();
    }
    expect(left).toEqual({ conversation: null, _entities: [null] });
    // The address is free again: a new, unrelated account.
    expect((await register('doomed@example.com')).user.id).not.toBe(doomed.user.id);
  });

  it('publishes identity.user.v1 for registrations, profile and role changes, disables and deletions', async () => {
    const subject = await register('events@example.com');
    dataOf(await run(subject.accessToken, 'mutation { updateProfile(input: { name: "Renamed" }) { id } }'));
    dataOf(await run(admin.accessToken, 'mutation($id: ID!) { setUserRole(userId: $id, role: ADMIN) { id } }', { id: subject.user.id }));
    dataOf(await run(admin.accessToken, 'mutation($id: ID!) { setUserRole(userId: $id, role: USER) { id } }', { id: subject.user.id }));
    dataOf(await run(admin.accessToken, 'mutation($id: ID!) { disableUser(id: $id) { id } }', { id: subject.user.id }));
    dataOf(await run(admin.accessToken, 'mutation($id: ID!) { enableUser(id: $id) { id } }', { id: subject.user.id }));
    dataOf(await run(admin.accessToken, 'mutation($id: ID!) { deleteUser(id: $id) { deletedUserId } }', { id: subject.user.id }));
    const ofSubject = () => userEvents.filter((e) => e.subject.userId === subject.user.id);
    for (let i = 0; i < 100 && ofSubject().length < 7; i++) await new Promise((r) => setTimeout(r, 50));
    expect(ofSubject().map((e) => e.type)).toEqual([
      'user.registered',
      'user.updated',
      'user.role-changed',
      'user.role-changed',
      'user.disabled',
      'user.enabled',
      'user.deleted',
    ]);
    expect(ofSubject()[0]?.payload).toEqual({ email: 'events@example.com', name: 'Someone', role: 'USER', emailVerified: false });
    expect(ofSubject()[3]?.payload).toEqual({ from: 'ADMIN', to: 'USER', changedBy: admin.user.id });
    expect(ofSubject()[6]?.payload).toEqual({ by: admin.user.id });
  });

  it('refuses to disable or delete the last ADMIN', async () => {
    expect(codeOf(await run(admin.accessToken, 'mutation($id: ID!) { disableUser(id: $id) { id } }', { id: admin.user.id }))).toBe(
      'CONFLICT',
    );
    expect(
      codeOf(await run(admin.accessToken, 'mutation($id: ID!) { deleteUser(id: $id) { deletedUserId } }', { id: admin.user.id })),
    ).toBe('CONFLICT');
  });
});
