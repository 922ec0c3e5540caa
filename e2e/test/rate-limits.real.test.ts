/**
 * Rate limits on a real Redis: two routers, each with its own Redis connection (as two processes
 * would have), spend one budget; and a router whose Redis goes down applies each policy's fail
 * mode (open: let through; closed: UNAVAILABLE), with a metric and a log line, then limits again
 * once Redis is back. The Redis that is stopped is this file's own (scripts/infra/redis.sh on a
 * free port), never the shared one.
 *   CHATGRAPH_INFRA_DIR=/var/tmp/chatgraph-infra pnpm jest -c jest.real.config.js e2e/test/rate-limits.real.test.ts
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '@chatgraph/kit';
import { createRedisKv, type KvStore } from '@chatgraph/kit/kv';
import { buildRouter, loadRouterConfig, routerDepsFromConfig, type Router, rateLimitFromConfig } from '@chatgraph/router';
import { REDIS_URL } from './distributedStack';
import { startPrivateRedis, type PrivateRedis } from './rateLimits/privateRedis';
import { codeOf, eventually, gql, startTwoRouters, type TwoRouters } from './rateLimits/support';

const WEEK = 7 * 86_400_000;
const CREATE = 'mutation { createConversation(input: { title: "x" }) { id } }';

describe('two routers on one real Redis', () => {
  let t: TwoRouters;
  const kvs: KvStore[] = [];

  beforeAll(async () => {
    const prefix = `test:rl:${randomUUID()}:`;
    for (let i = 0; i < 2; i++) {
      const kv = createRedisKv({ url: REDIS_URL, keyPrefix: prefix });
      await kv.start();
      kvs.push(kv);
    }
    t = await startTwoRouters({}, kvs[0], kvs[1]);
  });
  afterAll(async () => {
    await t.stop();
    for (const kv of kvs) await kv.stop();
  });

  it('never accepts more than the policy in all, however a concurrent burst is spread over both', async () => {
    await t.admin.setPolicy({
      name: 'create-probe',
      scope: 'operation',
      rootFields: ['createConversation'],
      principals: ['user'],
      key: 'principal',
      limit: 12,
      windowMs: WEEK,
      cost: 'request',
      failMode: 'closed',
    });
    const token = await t.register('real-burst@example.com');
    let spent = 0;
    for (const url of t.urls) {
      await eventually(async () => {
        const probe = await gql(url, CREATE, {}, token);
        if (probe.status === 200 && !probe.body.errors) spent++;
        return (probe.headers.get('ratelimit-policy') ?? '').includes('"create-probe";q=12;w=604800');
      });
    }
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => gql(i % 2 === 0 ? t.urls[0] : t.urls[1], CREATE, {}, token)));
    const accepted = answers.filter((a) => a.status === 200 && !a.body.errors);
    expect(accepted.length + spent).toBe(12);
    expect(answers.filter((a) => a.status === 429).length).toBe(60 - accepted.length);
    // Every remaining count handed out is distinct: one budget, decided atomically in Redis.
    const remaining = accepted.map((a) => Number(/"create-probe";r=(\d+)/.exec(a.headers.get('ratelimit') ?? '')?.[1]));
    expect(new Set(remaining).size).toBe(remaining.length);
    expect(Math.min(...remaining)).toBe(0);
  });
});

describe('a router whose Redis goes down', () => {
  let redis: PrivateRedis;
  let kv: KvStore;
  let t: TwoRouters;
  let router: Router;
  let url: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    kv = createRedisKv({ url: redis.url, commandTimeoutMs: 500, connectTimeoutMs: 500 });
    await kv.start();
    t = await startTwoRouters();
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logLines.push(chunk.toString());
        cb();
      },
    });
    const subgraphs = [t.stack.identity, t.stack.conversation, t.stack.aiGateway, t.stack.streaming, t.stack.rateLimit].map(
      ({ subgraph }) => subgraph.url,
    );
    const names = ['identity', 'conversation', 'ai-gateway', 'streaming', 'rate-limit'];
    const config = loadRouterConfig({
      INTERNAL_SIGNING_SECRET: t.stack.signingSecret,
      IDENTITY_URL: subgraphs[0],
      SUBGRAPH_URLS: subgraphs.map((base, i) => `${names[i]}=${base}/graphql`).join(','),
    });
    // The principal directory stays on the stack's kv: only the limits' Redis goes down.
    router = buildRouter({
      ...routerDepsFromConfig(config, createLogger({ name: 'router', level: 'info', destination: sink })),
      principals: t.stack.kv,
      rateLimit: rateLimitFromConfig(config, kv),
    });
    url = `${await router.start()}/graphql`;
  });
  afterAll(async () => {
    await router.stop();
    await t.stop();
    await kv.stop();
    await redis.dispose();
  });

  it('lets fail-open policies through and refuses fail-closed ones with UNAVAILABLE, with a metric and a log line, then limits again', async () => {
    const LOGIN = 'mutation { login(input: { email: "someone@example.com", password: "whatever it is" }) { accessToken } }';
    expect((await gql(url, '{ __typename }')).headers.get('ratelimit')).toMatch(/"anonymous";r=\d+/);
    await redis.down();
    // `anonymous` fails open: answered, with no RateLimit state (nothing was decided).
    const open = await gql(url, '{ __typename }');
    expect(open.status).toBe(200);
    expect(open.body.data).toEqual({ __typename: 'Query' });
    expect(open.headers.get('ratelimit')).toBeNull();
    // `login-account` and `login-ip` fail closed: refused before identity is called.
    const closed = await gql(url, LOGIN);
    expect(closed.status).toBe(503);
    expect(codeOf(closed)).toBe('UNAVAILABLE');
    expect(closed.headers.get('retry-after')).toBe('1');
    const metrics = await (await fetch(url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/router_rate_limit_kv_errors_total\{[^}]*policy="anonymous"[^}]*fail_mode="open"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/router_rate_limit_kv_errors_total\{[^}]*fail_mode="closed"[^}]*\} [1-9]/);
    expect(logLines.some((l) => l.includes('rate-limit kv unavailable'))).toBe(true);
    await redis.up();
    await eventually(async () => codeOf(await gql(url, LOGIN)) === 'UNAUTHENTICATED');
    expect((await gql(url, '{ __typename }')).headers.get('ratelimit')).toMatch(/"anonymous";r=\d+/);
  });
});
