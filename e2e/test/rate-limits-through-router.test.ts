/**
 * Rate limits through the router of the one-process launcher (limits on, as `pnpm start` runs
 * them) plus a second router on the same kv: both spend one budget, every answer carries the
 * IETF RateLimit headers, refusals are RATE_LIMITED before any subgraph is called, floods end in a
 * ban that ADMIN can lift, and a brute force on one account leaves the other users of the same IP alone.
 */
import { BanRegistry } from '@chatgraph/kit/limits';
import { wsClient } from './liveChatScenarios';
import { codeOf, eventually, gql, PASSWORD, silent, startTwoRouters, type TwoRouters } from './rateLimits/support';

const WEEK = 7 * 86_400_000;
const CREATE = 'mutation { createConversation(input: { title: "x" }) { id } }';
const COUNT = 'query { me { conversations(first: 100) { edges { node { id } } } } }';
const ME = 'query { me { id } }';

let t: TwoRouters;
/** Alternates between the two routers. */
const routerFor = (i: number): string => (i % 2 === 0 ? t.urls[0] : t.urls[1]);

beforeAll(async () => {
  t = await startTwoRouters({ BAN_THRESHOLD: '5' });
});
afterAll(() => t.stop());

describe('rate limits through two routers', () => {
  it('puts RateLimit-Policy and RateLimit on every answer (allowed, invalid, bad token) and exposes them to browsers', async () => {
    const ok = await gql(t.urls[0], '{ __typename }', {}, undefined, { origin: 'http://localhost:5173' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit-policy')).toContain('"anonymous";q=300;w=60');
    expect(ok.headers.get('ratelimit')).toMatch(/^"anonymous";r=\d+;t=\d+/);
    expect(ok.headers.get('access-control-expose-headers')).toContain('ratelimit-policy');
    const invalid = await gql(t.urls[1], '{ nope }');
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('ratelimit')).toMatch(/"anonymous";r=\d+;t=\d+/);
    const badToken = await gql(t.urls[0], ME, {}, 'not-a-token');
    expect(badToken.status).toBe(401);
    expect(badToken.headers.get('ratelimit-policy')).toContain('"anonymous"');
    const token = await t.register('headers@example.com');
    const signedIn = await gql(t.urls[1], ME, {}, token);
    expect(signedIn.headers.get('ratelimit-policy')).toMatch(/"default";q=600;w=60, "cost";q=100000;w=60/);
    // Both routers report the signed-in user's budget (spent: below the quota).
    for (const url of t.urls) {
      const state = (await gql(url, ME, {}, token)).headers.get('ratelimit') ?? '';
      expect(Number(/"default";r=(\d+);t=\d+/.exec(state)?.[1])).toBeLessThan(600);
    }
  });

  it('accepts exactly the policy across both routers under a concurrent burst, refusing the rest with 429 before any subgraph', async () => {
    await t.admin.setPolicy({
      name: 'create-probe',
      scope: 'operation',
      rootFields: ['createConversation'],
      principals: ['user'],
      key: 'principal',
      limit: 10,
      windowMs: WEEK,
      cost: 'request',
      failMode: 'closed',
    });
    const token = await t.register('burst@example.com');
    // Both routers pick the override up from the kv (announced on the change channel).
    let spentWhilePolling = 0;
    for (const url of t.urls) {
      await eventually(async () => {
        const probe = await gql(url, CREATE, {}, token);
        if (probe.status === 200 && !probe.body.errors) spentWhilePolling++;
        return (probe.headers.get('ratelimit-policy') ?? '').includes('"create-probe";q=10');
      });
    }
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => gql(routerFor(i), CREATE, {}, token)));
    const accepted = answers.filter((a) => a.status === 200 && !a.body.errors).length;
    // The refusals got this user banned (BAN_THRESHOLD=5 here): lifted to count what was stored.
    const bans = new BanRegistry({ kv: t.stack.kv, logger: silent('admin') });
    for (const ban of await bans.listBans()) await bans.liftBan(ban.principal);
    // 10 in all (some spent by the polling above), never more, and refused ones reached no subgraph.
    const count = await gql(t.urls[0], COUNT, {}, token);
    const stored = (count.body.data?.me as { conversations: { edges: unknown[] } }).conversations.edges.length;
    expect(accepted + spentWhilePolling).toBe(10);
    expect(stored).toBe(10);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBe(40 - accepted);
    for (const a of refused) {
      expect(codeOf(a)).toBe('RATE_LIMITED');
      const seconds = a.body.errors?.[0]?.extensions?.retryAfterSeconds as number;
      expect(seconds).toBeGreaterThan(0);
      expect(a.headers.get('retry-after')).toBe(String(seconds));
      // A request banned mid-burst is refused before its operation's policies are decided
      // (graphqlHandler: no parse, no per-operation spend), so it reports the caller-wide ones.
      expect(a.headers.get('ratelimit')).toContain(a.body.errors?.[0]?.extensions?.banned ? '"default";r=' : '"create-probe";r=0;');
    }
    await t.admin.resetPolicy('create-probe');
  });

  it('bans a flooding user after BAN_THRESHOLD refusals on every router, lists the ban, and ADMIN lifts it', async () => {
    await t.admin.setPolicy({
      name: 'flood-probe',
      scope: 'operation',
      rootFields: ['createConversation'],
      principals: ['user'],
      key: 'principal',
      limit: 2,
      windowMs: WEEK,
      cost: 'request',
      failMode: 'open',
    });
    const flooder = await t.register('flooder@example.com');
    const bystander = await t.register('bystander@example.com');
    for (const url of t.urls)
      await eventually(
        async () => ((await gql(url, ME, {}, bystander)).headers.get('ratelimit-policy') ?? '') !== '' && t.second !== undefined,
      );
    await eventually(async () => (await gql(t.urls[1], CREATE, {}, flooder)).status === 429);
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await gql(routerFor(i), CREATE, {}, flooder)).status);
    expect(codes.every((c) => c === 429)).toBe(true);
    // Banned: even an unlimited read is refused, on both routers, and says so.
    const bans = new BanRegistry({ kv: t.stack.kv, logger: silent('admin') });
    const listed = await bans.listBans();
    const ban = listed.find((b) => b.principal.startsWith('user:'));
    expect(ban).toMatchObject({ reason: 'rate-limited', strikes: 1 });
    for (const url of t.urls) {
      await eventually(async () => {
        const me = await gql(url, ME, {}, flooder);
        return me.status === 429 && me.body.errors?.[0]?.extensions?.banned === true;
      });
    }
    // Another user is untouched.
    expect((await gql(t.urls[0], ME, {}, bystander)).status).toBe(200);
    expect(await bans.liftBan(ban?.principal ?? '')).toBe(true);
    for (const url of t.urls) await eventually(async () => (await gql(url, ME, {}, flooder)).status === 200);
    expect((await bans.listBans()).some((b) => b.principal === ban?.principal)).toBe(false);
    await t.admin.resetPolicy('flood-probe');
  });

  it('slows a login brute force per account without refusing another user of the same address', async () => {
    await t.register('victim@example.com');
    await t.register('neighbour@example.com');
    const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }';
    const attempts = [];
    for (let i = 0; i < 12; i++)
      attempts.push(await gql(routerFor(i), LOGIN, { input: { email: 'victim@example.com', password: `wrong ${i}` } }));
    // LibreChat's 7 per 5 minutes, per account: the 8th attempt is refused before identity hashes anything.
    expect(attempts.slice(0, 7).map(codeOf)).toEqual(Array(7).fill('UNAUTHENTICATED'));
    expect(attempts.slice(7).map(codeOf)).toEqual(Array(5).fill('RATE_LIMITED'));
    // Inline arguments and aliases do not get around it.
    const inline = await gql(t.urls[0], `mutation { a: login(input: { email: "VICTIM@example.com", password: "x" }) { accessToken } }`);
    expect(codeOf(inline)).toBe('RATE_LIMITED');
    // The neighbour, same address, signs in.
    const neighbour = await gql(t.urls[1], LOGIN, { input: { email: 'neighbour@example.com', password: PASSWORD } });
    expect(neighbour.status).toBe(200);
    expect((neighbour.body.data?.login as { accessToken: string }).accessToken).toBeTruthy();
  });

  it('holds one user flooding sendMessage to the messages policy (40) while another user sends', async () => {
    const flooder = await t.register('msg-flooder@example.com');
    const other = await t.register('msg-other@example.com');
    const SEND = 'mutation($c: String!) { sendMessage(input: { content: $c }) { streamId } }';
    const flood = await Promise.all(Array.from({ length: 120 }, (_, i) => gql(routerFor(i), SEND, { c: `flood ${i}` }, flooder)));
    const accepted = flood.filter((a) => a.status === 200 && !a.body.errors).length;
    expect(accepted).toBeLessThanOrEqual(40);
    // The rest are refused RATE_LIMITED before any generation: by the policy, then by the ban its refusals earned.
    const refused = flood.filter((a) => a.status !== 200 || a.body.errors);
    expect(refused.length).toBe(120 - accepted);
    expect(refused.every((a) => codeOf(a) === 'RATE_LIMITED')).toBe(true);
    expect(refused.some((a) => a.body.errors?.[0]?.extensions?.policy === 'messages')).toBe(true);
    expect(refused.some((a) => a.body.errors?.[0]?.extensions?.banned === true)).toBe(true);
    const mine = await gql(t.urls[0], SEND, { c: 'hello' }, other);
    expect(mine.body.errors).toBeUndefined();
    expect((mine.body.data?.sendMessage as { streamId: string }).streamId).toBeTruthy();
  });

  it('counts graphql-ws subscribes and operations over the socket against the same budgets', async () => {
    await t.admin.setPolicy({
      name: 'subscribe',
      scope: 'subscribe',
      principals: ['user', 'apiKey'],
      key: 'principal',
      limit: 2,
      windowMs: WEEK,
      cost: 'request',
      failMode: 'open',
    });
    await t.admin.setPolicy({
      name: 'ws-probe',
      scope: 'operation',
      rootFields: ['createConversation'],
      principals: ['user'],
      key: 'principal',
      limit: 1,
      windowMs: WEEK,
      cost: 'request',
      failMode: 'open',
    });
    const token = await t.register('socket@example.com');
    const client = wsClient(t.urls[1], token);
    try {
      const open: Array<() => void> = [];
      const subscribe = () =>
        new Promise<unknown>((resolve) => {
          const stop = client.subscribe(
            { query: 'subscription { messageStream(streamId: "nope") { seq } }' },
            {
              next: () => undefined,
              error: (err) => resolve((err as Array<{ extensions?: { code?: string } }>)[0]?.extensions?.code),
              complete: () => resolve('complete'),
            },
          );
          open.push(stop);
        });
      const operate = () =>
        new Promise<unknown>((resolve) => {
          client.subscribe(
            { query: CREATE },
            {
              next: (r) => resolve(r.errors?.[0]?.extensions?.code ?? 'ok'),
              error: (err) => resolve((err as Array<{ extensions?: { code?: string } }>)[0]?.extensions?.code),
              complete: () => undefined,
            },
          );
        });
      // Until the second router has both overrides (probed by another user, so this one spends nothing).
      const prober = await t.register('socket-prober@example.com');
      await eventually(async () =>
        ((await gql(t.urls[1], CREATE, {}, prober)).headers.get('ratelimit-policy') ?? '').includes('"ws-probe";q=1'),
      );
      // Two subscriptions are admitted (and stay open), the third is refused.
      void subscribe();
      void subscribe();
      expect(await subscribe()).toBe('RATE_LIMITED');
      expect(await operate()).toBe('ok');
      expect(await operate()).toBe('RATE_LIMITED');
      for (const stop of open) stop();
    } finally {
      await client.dispose();
      await t.admin.resetPolicy('subscribe');
      await t.admin.resetPolicy('ws-probe');
    }
  });

  it('charges request bodies by KiB under the upload policy (bodies under 1 KiB spend nothing)', async () => {
    await t.admin.setPolicy({
      name: 'upload',
      scope: 'upload',
      principals: ['user', 'apiKey', 'anonymous'],
      key: 'principal',
      limit: 4,
      windowMs: WEEK,
      cost: 'kib',
      failMode: 'open',
    });
    const token = await t.register('uploader@example.com');
    const big = { padding: 'x'.repeat(2100) };
    // Until a router has the override: only the answer that shows it spent anything (2 KiB).
    await eventually(async () => ((await gql(t.urls[1], ME, big, token)).headers.get('ratelimit-policy') ?? '').includes('"upload";q=4'));
    // Small bodies: no upload decision at all.
    expect((await gql(t.urls[0], ME, {}, token)).headers.get('ratelimit-policy')).not.toContain('"upload"');
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await gql(routerFor(i), ME, big, token));
    // 2 KiB each: 4 KiB in all were allowed (the probe above spent 2), then refused.
    expect(answers.map((a) => a.status)).toEqual([200, 429, 429]);
    expect(answers[1]?.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', policy: 'upload' });
    await t.admin.resetPolicy('upload');
  });
});
