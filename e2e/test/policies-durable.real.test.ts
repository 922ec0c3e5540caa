/**
 * ADMIN rate-limit policy overrides survive a Redis restart without persistence: the rate-limit
 * subgraph keeps them in its document store and publishes them again once it sees the kv lost
 * them; a router (a PolicyDirectory on its own Redis connection) gets them back. The Redis that
 * is restarted is this file's own (scripts/infra/redis.sh on a free port), never the shared one.
 *   CHATGRAPH_INFRA_DIR=/var/tmp/chatgraph-infra pnpm jest -c jest.real.config.js e2e/test/policies-durable.real.test.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signedGraphQL } from '@chatgraph/kit';
import { documentStoreFromConfig, type DocumentStore } from '@chatgraph/kit/store';
import { eventBusFromConfig, type EventBus } from '@chatgraph/kit/events';
import { createRedisKv, type KvStore } from '@chatgraph/kit/kv';
import { PolicyDirectory } from '@chatgraph/kit/limits';
import { loadRateLimitConfig, buildRateLimit, type RateLimit } from '@chatgraph/rate-limit';
import { startPrivateRedis, type PrivateRedis } from './rateLimits/privateRedis';
import { eventually, silent } from './rateLimits/support';

const SECRET = 'policies-durable-secret-0123456789abcdef';
const ADMIN = { kind: 'user', userId: 'admin-1', role: 'ADMIN', via: 'jwt', sessionId: 's-admin' } as const;
const SET = 'mutation($input: RateLimitPolicyInput!) { setRateLimitPolicy(input: $input) { name limit } }';
const PROBE = {
  name: 'probe',
  scope: 'OPERATION',
  rootFields: ['createConversation'],
  principals: ['USER'],
  key: 'PRINCIPAL',
  limit: 3,
  windowMs: 60_000,
  cost: 'REQUEST',
  failMode: 'OPEN',
};

let redis: PrivateRedis;
let dataDir: string;
let subgraphKv: KvStore;
let routerKv: KvStore;
let store: DocumentStore;
let bus: EventBus;
let rateLimit: RateLimit;
let url: string;

beforeAll(async () => {
  redis = await startPrivateRedis({ appendOnly: false });
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-policies-'));
  subgraphKv = createRedisKv({ url: redis.url });
  routerKv = createRedisKv({ url: redis.url });
  await subgraphKv.start();
  await routerKv.start();
  const config = loadRateLimitConfig({ INTERNAL_SIGNING_SECRET: SECRET, DATA_DIR: dataDir });
  store = documentStoreFromConfig(config, 'rate-limit', silent('store'));
  bus = eventBusFromConfig(config, 'rate-limit', silent('bus'));
  await store.start();
  await bus.start();
  rateLimit = buildRateLimit({ store, bus, config, logger: silent('rate-limit'), kv: subgraphKv, policiesCheckMs: 100 });
  url = `${await rateLimit.start(0)}/graphql`;
});
afterAll(async () => {
  await rateLimit.stop();
  await bus.stop();
  await store.stop();
  await subgraphKv.stop();
  await routerKv.stop();
  await redis.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

const probeLimit = (d: PolicyDirectory): number | undefined => d.policies().find((p) => p.name === 'probe')?.limit;

describe('rate-limit policy overrides on a real Redis without persistence', () => {
  it('come back to routers after the Redis restarted empty, and a router that ran through it follows later changes', async () => {
    expect((await signedGraphQL(url, SECRET, ADMIN, SET, { input: PROBE })).errors).toBeUndefined();
    const router = new PolicyDirectory({ kv: routerKv, logger: silent('router'), pollMs: 100 });
    await router.start();
    expect(probeLimit(router)).toBe(3);

    await redis.down();
    await redis.up();
    // A router starting now finds the override in the kv again (published from the document store).
    await eventually(async () => {
      const fresh = new PolicyDirectory({ kv: routerKv, logger: silent('router-2') });
      try {
        await fresh.start();
        return probeLimit(fresh) === 3;
      } finally {
        await fresh.stop();
      }
    });
    // The router that ran through the restart reads the new log: a later change reaches it.
    expect((await signedGraphQL(url, SECRET, ADMIN, SET, { input: { ...PROBE, limit: 7 } })).errors).toBeUndefined();
    await eventually(async () => {
      await router.refresh();
      return probeLimit(router) === 7;
    });
    await router.stop();
  });
});
