/**
 * The ADMIN surface of the router's rate limits, through the router (rate-limit subgraph, the
 * kit's limits/ module, the kv every router shares): a policy set with `setRateLimitPolicy` is
 * enforced by both routers, `User.limits` reads where a user stands without spending, bans are
 * listed and lifted with `rateLimitBans` / `liftRateLimitBan`, and only an ADMIN may do any of it.
 */
import { codeOf, eventually, gql, startTwoRouters, type TwoRouters } from './rateLimits/support';

const SET = `mutation($input: RateLimitPolicyInput!) { setRateLimitPolicy(input: $input) { name limit windowMs source principals key } }`;
const CREATE = 'mutation { createConversation(input: { title: "x" }) { id } }';
const LIMITS = 'query { me { limits { policy limit windowMs remaining resetAt } } }';
const BANS = 'query { rateLimitBans { principal reason strikes until } }';
const WEEK = 7 * 86_400_000;
const probe = {
  name: 'admin-probe',
  scope: 'OPERATION',
  rootFields: ['createConversation'],
  principals: ['USER'],
  key: 'PRINCIPAL',
  limit: 3,
  windowMs: WEEK,
  cost: 'REQUEST',
  failMode: 'OPEN',
};

let t: TwoRouters;
let admin: string;
let user: string;

beforeAll(async () => {
  t = await startTwoRouters({ BAN_THRESHOLD: '3' });
  // The first account is the bootstrap ADMIN.
  admin = await t.register('admin@example.com');
  user = await t.register('user@example.com');
});
afterAll(() => t.stop());

describe('rate-limit administration through the router', () => {
  it('refuses a non-ADMIN, and bad input with BAD_USER_INPUT that changes nothing', async () => {
    expect(codeOf(await gql(t.urls[0], SET, { input: probe }, user))).toBe('FORBIDDEN');
    expect(codeOf(await gql(t.urls[0], BANS, {}, user))).toBe('FORBIDDEN');
    const bad = await gql(t.urls[0], SET, { input: { ...probe, limit: 0 } }, admin);
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect(bad.body.errors?.[0]?.extensions?.field).toBe('limit');
    const listed = await gql(t.urls[0], 'query { rateLimitPolicies { name source } }', {}, admin);
    const names = (listed.body.data?.rateLimitPolicies as Array<{ name: string; source: string }>).map((p) => p.name);
    expect(names).toContain('login-account');
    expect(names).not.toContain('admin-probe');
  });

  it('applies a policy set by ADMIN on both routers, shows it in User.limits without spending, and bans and lifts', async () => {
    const set = await gql(t.urls[1], SET, { input: probe }, admin);
    expect(set.body.data?.setRateLimitPolicy).toEqual({
      name: 'admin-probe',
      limit: 3,
      windowMs: WEEK,
      source: 'OVERRIDE',
      principals: ['USER'],
      key: 'PRINCIPAL',
    });
    const status = async () =>
      ((await gql(t.urls[0], LIMITS, {}, user)).body.data?.me as { limits: Array<{ policy: string; remaining: number; limit: number }> })
        .limits;
    await eventually(async () => (await status()).some((l) => l.policy === 'admin-probe'));
    // Reading the status twice spends nothing.
    expect((await status()).find((l) => l.policy === 'admin-probe')).toMatchObject({ limit: 3, remaining: 3 });
    expect((await status()).find((l) => l.policy === 'admin-probe')).toMatchObject({ remaining: 3 });
    expect((await status()).find((l) => l.policy === 'messages')).toMatchObject({ limit: 40, remaining: 40 });
    let spent = 0;
    for (const url of t.urls) {
      await eventually(async () => {
        const created = await gql(url, CREATE, {}, user);
        if (created.status === 200) spent++;
        return (created.headers.get('ratelimit-policy') ?? '').includes('"admin-probe";q=3');
      });
    }
    expect((await status()).find((l) => l.policy === 'admin-probe')).toMatchObject({ remaining: 3 - spent });
    // Over it on both routers, then banned after BAN_THRESHOLD (3) refusals.
    for (let i = 0; i < 6; i++) await gql(t.urls[i % 2 === 0 ? 0 : 1], CREATE, {}, user);
    const bans = (await gql(t.urls[0], BANS, {}, admin)).body.data?.rateLimitBans as Array<{
      principal: string;
      reason: string;
      strikes: number;
    }>;
    const ban = bans.find((b) => b.principal.startsWith('user:'));
    expect(ban).toMatchObject({ reason: 'rate-limited', strikes: 1 });
    expect((await gql(t.urls[1], 'query { me { id } }', {}, user)).body.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      banned: true,
    });
    const lifted = await gql(t.urls[1], 'mutation($p: String!) { liftRateLimitBan(principal: $p) }', { p: ban?.principal }, admin);
    expect(lifted.body.data?.liftRateLimitBan).toBe(true);
    for (const url of t.urls) await eventually(async () => (await gql(url, 'query { me { id } }', {}, user)).status === 200);
    expect(codeOf(await gql(t.urls[0], 'mutation($p: String!) { liftRateLimitBan(principal: $p) }', { p: 'not a principal' }, admin))).toBe(
      'BAD_USER_INPUT',
    );
    // Another user cannot read this user's limits.
    const other = await t.register('other@example.com');
    const id = ((await gql(t.urls[0], 'query { me { id } }', {}, user)).body.data?.me as { id: string }).id;
    const foreign = await gql(t.urls[0], 'query($id: ID!) { user(id: $id) { limits { policy } } }', { id }, other);
    expect(foreign.body.errors?.[0]?.extensions?.code).toMatch(/FORBIDDEN|NOT_FOUND/);
  });
});
