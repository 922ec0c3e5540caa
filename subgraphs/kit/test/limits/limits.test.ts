import { GraphQLError } from 'graphql';
import { createLogger } from '../../src';
import { createEmbeddedKv, type KvStore } from '../../src/kv';
import {
  BanRegistry,
  DEFAULT_POLICIES,
  limitSubject,
  parsePolicy,
  policyMatches,
  PolicyDirectory,
  POLICY_LOG,
  SUBSCRIPTIONS_PER_USER_POLICY,
} from '../../src/limits';

const logger = createLogger({ name: 'limits-test', level: 'silent' });
const base = {
  name: 'probe',
  scope: 'operation',
  principals: ['user'],
  key: 'principal',
  limit: 5,
  windowMs: 60_000,
  cost: 'request',
  failMode: 'open',
};

function fieldOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    if (err instanceof GraphQLError) return [err.extensions.code, err.extensions.field];
    throw err;
  }
  return 'accepted';
}

describe('parsePolicy', () => {
  it('accepts every default and refuses bad input with BAD_USER_INPUT naming the field', () => {
    for (const p of DEFAULT_POLICIES) expect(parsePolicy(p)).toEqual(p);
    expect(fieldOf(() => parsePolicy({ ...base, name: 'Bad Name' }))).toEqual(['BAD_USER_INPUT', 'name']);
    expect(fieldOf(() => parsePolicy({ ...base, limit: 0 }))).toEqual(['BAD_USER_INPUT', 'limit']);
    expect(fieldOf(() => parsePolicy({ ...base, windowMs: 10 }))).toEqual(['BAD_USER_INPUT', 'windowMs']);
    expect(fieldOf(() => parsePolicy({ ...base, principals: [] }))).toEqual(['BAD_USER_INPUT', 'principals']);
    expect(fieldOf(() => parsePolicy({ ...base, key: 'cookie' }))).toEqual(['BAD_USER_INPUT', 'key']);
    expect(fieldOf(() => parsePolicy({ ...base, rootFields: ['not a field'] }))).toEqual(['BAD_USER_INPUT', 'rootFields']);
  });
});

describe('parsePolicy: concurrent-subscriptions', () => {
  const cap = { ...base, scope: 'concurrent-subscriptions', principals: ['user', 'apiKey'], limit: 3 };

  it('accepts a per-user cap on open subscriptions and refuses what it cannot count, naming the field', () => {
    expect(parsePolicy(cap)).toEqual(cap);
    expect(DEFAULT_POLICIES.filter((p) => p.scope === 'concurrent-subscriptions').map((p) => [p.name, p.limit])).toEqual([
      [SUBSCRIPTIONS_PER_USER_POLICY, 200],
    ]);
    expect(fieldOf(() => parsePolicy({ ...cap, principals: ['user', 'anonymous'] }))).toEqual(['BAD_USER_INPUT', 'principals']);
    expect(fieldOf(() => parsePolicy({ ...cap, key: 'ip' }))).toEqual(['BAD_USER_INPUT', 'key']);
    expect(fieldOf(() => parsePolicy({ ...cap, cost: 'static' }))).toEqual(['BAD_USER_INPUT', 'cost']);
    expect(fieldOf(() => parsePolicy({ ...cap, failMode: 'closed' }))).toEqual(['BAD_USER_INPUT', 'failMode']);
    expect(fieldOf(() => parsePolicy({ ...cap, rootFields: ['messageStream'] }))).toEqual(['BAD_USER_INPUT', 'rootFields']);
    expect(fieldOf(() => parsePolicy({ ...cap, limit: 0 }))).toEqual(['BAD_USER_INPUT', 'limit']);
  });
});

describe('policy matching and subjects', () => {
  it('keys an API key apart from its owner and an anonymous caller by address', () => {
    expect(limitSubject({ kind: 'user', userId: 'u1', role: 'USER', via: 'jwt' }, '10.0.0.1')).toEqual({
      kind: 'user',
      principal: 'user:u1',
      ip: 'ip:10.0.0.1',
    });
    expect(limitSubject({ kind: 'user', userId: 'u1', role: 'USER', via: 'apiKey', apiKeyId: 'k1' }, '10.0.0.1').principal).toBe(
      'apiKey:k1',
    );
    expect(limitSubject({ kind: 'anonymous' }, '10.0.0.1').principal).toBe('ip:10.0.0.1');
  });

  it('matches by scope, kind and root field; a disabled policy matches nothing', () => {
    const login = parsePolicy({ ...base, rootFields: ['login'], principals: ['anonymous'] });
    expect(policyMatches(login, 'operation', 'anonymous', ['login'], undefined)).toBe(true);
    expect(policyMatches(login, 'operation', 'anonymous', ['me'], undefined)).toBe(false);
    expect(policyMatches(login, 'operation', 'user', ['login'], undefined)).toBe(false);
    expect(policyMatches(login, 'subscribe', 'anonymous', ['login'], undefined)).toBe(false);
    expect(policyMatches({ ...login, disabled: true }, 'operation', 'anonymous', ['login'], undefined)).toBe(false);
    const named = parsePolicy({ ...base, operationNames: ['Send'] });
    expect(policyMatches(named, 'operation', 'user', ['sendMessage'], 'Send')).toBe(true);
  });
});

describe('PolicyDirectory (embedded kv)', () => {
  let kv: KvStore;
  beforeEach(async () => {
    kv = createEmbeddedKv({});
    await kv.start();
  });
  afterEach(() => kv.stop());

  it('folds overrides from the log into every instance, announced, and a reset brings the default back', async () => {
    const a = new PolicyDirectory({ kv, logger });
    const b = new PolicyDirectory({ kv, logger });
    await a.start();
    await b.start();
    await a.setPolicy({ ...DEFAULT_POLICIES.find((p) => p.name === 'messages'), limit: 5 });
    await a.setPolicy(base);
    // b learns through the change channel.
    for (let i = 0; i < 100 && b.policies().find((p) => p.name === 'probe') === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    expect(b.policies().find((p) => p.name === 'messages')?.limit).toBe(5);
    expect((await b.listPolicies()).find((p) => p.name === 'probe')?.source).toBe('override');
    expect(await a.resetPolicy('messages')).toBe(true);
    expect(await a.resetPolicy('probe')).toBe(true);
    await b.refresh();
    expect(b.policies().find((p) => p.name === 'messages')?.limit).toBe(40);
    expect(b.policies().some((p) => p.name === 'probe')).toBe(false);
    await expect(a.setPolicy({ ...base, limit: -1 })).rejects.toThrow(/limit/);
    await a.stop();
    await b.stop();
  });

  it('reads the log again from the start when the kv lost it (a new log restarts at seq 1), keeping what it knew meanwhile', async () => {
    const router = new PolicyDirectory({ kv, logger });
    await router.start();
    const admin = new PolicyDirectory({ kv, logger });
    for (const limit of [3, 4, 5]) await admin.setPolicy({ ...base, limit });
    await router.refresh();
    expect(router.policies().find((p) => p.name === 'probe')?.limit).toBe(5);
    // Redis restarted without persistence: the log is gone; what the router knew stays in force.
    await kv.del(POLICY_LOG);
    await router.refresh();
    expect(router.policies().find((p) => p.name === 'probe')?.limit).toBe(5);
    // The log starts again (seq 1, below the router's last seq): the router reads it.
    await new PolicyDirectory({ kv, logger }).setPolicy({ ...base, name: 'probe-two', limit: 2 });
    await router.refresh();
    expect(router.policies().find((p) => p.name === 'probe-two')?.limit).toBe(2);
    // A new log that grew past the old seq with other entries is read again from the start too.
    await kv.del(POLICY_LOG);
    for (const limit of [7, 8, 9, 10]) await new PolicyDirectory({ kv, logger }).setPolicy({ ...base, name: 'probe-three', limit });
    await router.refresh();
    expect(router.policies().find((p) => p.name === 'probe-three')?.limit).toBe(10);
    await router.stop();
  });
});

describe('BanRegistry (embedded kv)', () => {
  it('bans at the threshold for a time that doubles with each strike, lists and lifts', async () => {
    let now = 1_700_000_000_000;
    const kv = createEmbeddedKv({ now: () => now });
    await kv.start();
    const bans = new BanRegistry({ kv, logger, threshold: 3, baseBanMs: 60_000, cacheMs: 0, now: () => now });
    expect(await bans.violation('user:u1', 'rate-limited')).toBeNull();
    expect(await bans.violation('user:u1', 'rate-limited')).toBeNull();
    const first = await bans.violation('user:u1', 'rate-limited');
    expect(first).toMatchObject({ principal: 'user:u1', strikes: 1, until: now + 60_000 });
    expect(await bans.banOf('user:u1')).toEqual(first);
    expect(await bans.banOf('user:u2')).toBeNull();
    expect((await bans.listBans()).map((b) => b.principal)).toEqual(['user:u1']);
    now += 60_001;
    expect(await bans.banOf('user:u1')).toBeNull();
    for (let i = 0; i < 2; i++) await bans.violation('user:u1', 'abusive-payload');
    const second = await bans.violation('user:u1', 'abusive-payload');
    expect(second).toMatchObject({ strikes: 2, until: now + 120_000 });
    expect(await bans.liftBan('user:u1')).toBe(true);
    expect(await bans.banOf('user:u1')).toBeNull();
    expect(await bans.listBans()).toEqual([]);
    await expect(bans.liftBan('nobody')).rejects.toThrow(/principal/);
    await kv.stop();
  });
});
