/**
 * The open-subscriptions count shared by every router on one kv (rateLimit/openStreams.ts): two
 * counters on one embedded kv stand for two routers; fake timers step the lease periods.
 */
import { createEmbeddedKv, type KvStore } from '@chatgraph/kit/kv';
import { OpenStreams } from '../src/rateLimit/openStreams';

const LEASE = 10_000;
let kv: KvStore;
let a: OpenStreams;
let b: OpenStreams;

beforeEach(async () => {
  jest.useFakeTimers({ now: 1_700_000_000_000 });
  kv = createEmbeddedKv({});
  await kv.start();
  a = new OpenStreams({ kv, leaseMs: LEASE });
  b = new OpenStreams({ kv, leaseMs: LEASE });
});

afterEach(async () => {
  a.stop();
  b.stop();
  await kv.stop();
  jest.useRealTimers();
});

describe('OpenStreams', () => {
  it('caps one user over both routers, and a closed subscription frees its slot for the other router', async () => {
    expect(await a.acquire('u1', 2)).toEqual({ ok: true });
    expect(await a.acquire('u1', 2)).toEqual({ ok: true });
    expect(await b.acquire('u1', 2)).toEqual({ ok: false, open: 2, retryAfterMs: LEASE });
    // Another user is not affected.
    expect(await b.acquire('u2', 2)).toEqual({ ok: true });
    a.release('u1');
    await jest.advanceTimersByTimeAsync(0);
    expect(await b.acquire('u1', 2)).toEqual({ ok: true });
    expect(await b.acquire('u1', 2)).toMatchObject({ ok: false });
  });

  it('keeps counting live subscriptions across many lease periods (renewed by their router)', async () => {
    await a.acquire('u1', 2);
    await a.acquire('u1', 2);
    for (let i = 0; i < 6; i++) {
      await jest.advanceTimersByTimeAsync(LEASE / 2);
      expect(await b.acquire('u1', 2)).toMatchObject({ ok: false, open: 2 });
    }
    // Released after those periods: the count drops in the current period too.
    a.release('u1');
    await jest.advanceTimersByTimeAsync(0);
    expect(await b.acquire('u1', 2)).toEqual({ ok: true });
  });

  it("lets a killed router's subscriptions expire: they stop counting within two lease periods", async () => {
    await a.acquire('u1', 2);
    await a.acquire('u1', 2);
    // Router a dies: no release, no more renewals.
    a.stop();
    expect(await b.acquire('u1', 2)).toMatchObject({ ok: false });
    await jest.advanceTimersByTimeAsync(3 * LEASE);
    expect(await b.acquire('u1', 2)).toEqual({ ok: true });
    expect(await b.acquire('u1', 2)).toEqual({ ok: true });
    expect(await b.acquire('u1', 2)).toMatchObject({ ok: false, open: 2 });
  });
});
