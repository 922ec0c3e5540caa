/**
 * ADMIN policy overrides outlive the kv: stored in rate-limit's document store and published
 * again when the kv lost them (a fresh kv at restart, or its data wiped while running), so
 * routers (a PolicyDirectory on the kv, as each router runs) get them back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger, signedGraphQL } from '@chatgraph/kit';
import { documentStoreFromConfig, type DocumentStore } from '@chatgraph/kit/store';
import { eventBusFromConfig, type EventBus } from '@chatgraph/kit/events';
import { createEmbeddedKv, type KvStore } from '@chatgraph/kit/kv';
import { PolicyDirectory, POLICY_LOG } from '@chatgraph/kit/limits';
import { loadRateLimitConfig } from '../src/config';
import { POLICIES_MARKER } from '../src/policiesStore';
import { buildRateLimit, type RateLimit } from '../src/server';
import { codeOf, SECRET, userPrincipal } from './harness';

const logger = createLogger({ name: 'rate-limit', level: 'silent' });
const SET = `mutation($input: RateLimitPolicyInput!) { setRateLimitPolicy(input: $input) { name limit source } }`;
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

let dataDir: string;
const running: Array<() => Promise<void>> = [];

/** rate-limit over the document store of `dataDir` (the same across restarts) and `kv`. */
async function start(kv: KvStore): Promise<{ rateLimit: RateLimit; url: string; stop: () => Promise<void> }> {
  const config = loadRateLimitConfig({ INTERNAL_SIGNING_SECRET: SECRET, DATA_DIR: dataDir });
  const store: DocumentStore = documentStoreFromConfig(config, 'rate-limit', logger);
  const bus: EventBus = eventBusFromConfig(config, 'rate-limit', logger);
  await store.start();
  await bus.start();
  const rateLimit = buildRateLimit({ store, bus, config, logger, kv, relayPollMs: 50, policiesCheckMs: 20 });
  const url = `${await rateLimit.start(0)}/graphql`;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await rateLimit.stop();
    await bus.stop();
    await store.stop();
  };
  running.push(stop);
  return { rateLimit, url, stop };
}

async function newKv(): Promise<KvStore> {
  const kv = createEmbeddedKv({});
  await kv.start();
  running.push(() => kv.stop());
  return kv;
}

/** A router's view of the policies on `kv`, once `probe` is there (bounded polling). */
async function routerSees(kv: KvStore, limit: number): Promise<boolean> {
  const router = new PolicyDirectory({ kv, logger, pollMs: 20 });
  await router.start();
  try {
    for (let i = 0; i < 300; i++) {
      if (router.policies().find((p) => p.name === 'probe')?.limit === limit) return true;
      await new Promise((r) => setTimeout(r, 10));
      await router.refresh();
    }
    return false;
  } finally {
    await router.stop();
  }
}

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'rate-limit-policies-'));
});
afterEach(async () => {
  for (const stop of running.splice(0).reverse()) await stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('durable rate-limit policy overrides', () => {
  it('publishes the stored overrides to a fresh kv at start (the kv lost everything across a restart)', async () => {
    const first = await start(await newKv());
    const set = await signedGraphQL(first.url, SECRET, userPrincipal('admin-1', 'ADMIN'), SET, { input: PROBE });
    expect(set.errors).toBeUndefined();
    await first.stop();
    const kv = await newKv();
    await start(kv);
    expect(await routerSees(kv, 3)).toBe(true);
  });

  it('publishes them again when the running kv lost its data, so routers that follow it get them back', async () => {
    const kv = await newKv();
    const { url } = await start(kv);
    expect(
      (await signedGraphQL(url, SECRET, userPrincipal('admin-1', 'ADMIN'), SET, { input: { ...PROBE, limit: 4 } })).errors,
    ).toBeUndefined();
    const router = new PolicyDirectory({ kv, logger, pollMs: 20 });
    await router.start();
    expect(router.policies().find((p) => p.name === 'probe')?.limit).toBe(4);
    // What a Redis restart without persistence does to these keys.
    await kv.del(POLICY_LOG);
    await kv.del(POLICIES_MARKER);
    expect(await routerSees(kv, 4)).toBe(true);
    // The router that ran through it follows the new log: a later change reaches it.
    expect(
      (await signedGraphQL(url, SECRET, userPrincipal('admin-1', 'ADMIN'), SET, { input: { ...PROBE, limit: 6 } })).errors,
    ).toBeUndefined();
    await router.refresh();
    expect(router.policies().find((p) => p.name === 'probe')?.limit).toBe(6);
    await router.stop();
  });

  it('refuses a bad override with BAD_USER_INPUT and stores nothing', async () => {
    const kv = await newKv();
    const { url, stop } = await start(kv);
    const bad = await signedGraphQL(url, SECRET, userPrincipal('admin-1', 'ADMIN'), SET, { input: { ...PROBE, limit: -1 } });
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    await stop();
    const fresh = await newKv();
    await start(fresh);
    expect((await fresh.read(POLICY_LOG)).length).toBe(0);
  });
});
