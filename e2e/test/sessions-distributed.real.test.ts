/**
 * Sessions end on EVERY router: the distributed stack (each service in its own process, Redis as
 * the shared kv, Kafka, the MongoDB-compatible server) with two routers. A logout, a disable and a
 * deletion done through router 0 take effect on router 1 — on HTTP and on a socket opened there
 * before — because both read identity's principal directory from Redis; the deletion reaches
 * conversation over Kafka (`identity.user.v1` `user.deleted`).
 */
import type { DistributedStack } from '@chatgraph/launcher';
import { startTestStack, type TestStack } from './distributedStack';
import { codeOf, codeWhenRefused, dataOf, gql, openSocket } from './sessionsSupport';

let stack: DistributedStack;
let running: TestStack | undefined;
const password = 'distributed passphrase';
const SOCKET_BOUND_MS = 10_000;

interface Session {
  accessToken: string;
  refreshToken: string;
  user: { id: string };
}

const AUTH = 'accessToken refreshToken user { id }';
const on = (router: number) => {
  const url = stack.routerUrls[router];
  if (!url) throw new Error(`no router ${router}`);
  return url;
};

async function register(email: string): Promise<Session> {
  return dataOf<{ register: Session }>(
    await gql(on(0), undefined, `mutation($i: RegisterInput!) { register(input: $i) { ${AUTH} } }`, {
      i: { email, password, name: 'Dist' },
    }),
  ).register;
}

const me = (router: number, token: string) => gql(on(router), token, '{ me { id } }');

let admin: Session;

beforeAll(async () => {
  running = await startTestStack('sessions', { routers: 2, env: { PRINCIPAL_CACHE_MS: '100', PRINCIPAL_RECHECK_MS: '200' } });
  stack = running.stack;
  admin = await register('admin@example.com');
}, 120_000);

afterAll(async () => {
  await running?.dispose();
}, 60_000);

describe('sessions end on every router (Redis, Kafka, two routers)', () => {
  it('a logoutEverywhere through router 0 refuses the token on router 1 and closes its socket there', async () => {
    const session = await register('everywhere@example.com');
    expect(codeOf(await me(1, session.accessToken))).toBeUndefined();
    const socket = await openSocket(on(1), session.accessToken);
    dataOf(await gql(on(0), session.accessToken, 'mutation { logoutEverywhere }'));
    expect(await codeWhenRefused(() => me(1, session.accessToken), 200)).toBe('UNAUTHENTICATED');
    expect(await socket.closedWithin(SOCKET_BOUND_MS)).toBe(4403);
  }, 60_000);

  it('a disable through router 0 is refused on router 1', async () => {
    const victim = await register('disabled@example.com');
    const socket = await openSocket(on(1), victim.accessToken);
    dataOf(await gql(on(0), admin.accessToken, 'mutation($id: ID!) { disableUser(id: $id) { id } }', { id: victim.user.id }));
    expect(await codeWhenRefused(() => me(1, victim.accessToken), 200)).toBe('UNAUTHENTICATED');
    expect(await socket.closedWithin(SOCKET_BOUND_MS)).toBe(4403);
  }, 60_000);

  it('a deleteUser reaches conversation over Kafka: the user’s share link is gone', async () => {
    const doomed = await register('doomed@example.com');
    const conversation = dataOf<{ createConversation: { id: string } }>(
      await gql(on(0), doomed.accessToken, 'mutation { createConversation(input: { title: "mine" }) { id } }'),
    ).createConversation;
    const share = dataOf<{ shareConversation: { shareId: string } }>(
      await gql(on(0), doomed.accessToken, 'mutation($id: ID!) { shareConversation(id: $id) { shareId } }', { id: conversation.id }),
    ).shareConversation;
    const shared = async () =>
      (await gql(on(1), undefined, 'query($s: ID!) { sharedConversation(shareId: $s) { title } }', { s: share.shareId })).data
        ?.sharedConversation;
    expect(await shared()).toEqual({ title: 'mine' });

    dataOf(await gql(on(0), admin.accessToken, 'mutation($id: ID!) { deleteUser(id: $id) { deletedUserId } }', { id: doomed.user.id }));
    expect(await codeWhenRefused(() => me(1, doomed.accessToken), 200)).toBe('UNAUTHENTICATED');
    let left = await shared();
    for (let i = 0; i < 300 && left; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await shared();
    }
    expect(left).toBeNull();
  }, 60_000);
});
