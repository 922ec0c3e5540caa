import { getMaxListeners } from 'node:events';
import { createEmbeddedKv } from '../../src/kv';
import { stopSignal } from '../../src/kv/follow';
import { Keyspace } from '../../src/kv/embedded/keyspace';
import { describeKvContract } from './contract';

describeKvContract('embedded', async () => ({ kv: createEmbeddedKv() }));

/** A clock the test moves by hand, so expiry and limiter arithmetic are checked without waiting. */
function fakeClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe('embedded kv on a fake clock', () => {
  it('expires keys at exactly their ttl', async () => {
    const clock = fakeClock();
    const kv = createEmbeddedKv({ now: clock.now });
    await kv.start();
    await kv.set('k', 'v', { ttlMs: 1000 });
    clock.advance(999);
    expect(await kv.get('k')).toBe('v');
    clock.advance(1);
    expect(await kv.get('k')).toBeNull();
    await kv.stop();
  });

  it('refills a token bucket at limit / windowMs', async () => {
    const clock = fakeClock();
    const kv = createEmbeddedKv({ now: clock.now });
    await kv.start();
    const policy = { limit: 10, windowMs: 1000, algorithm: 'token-bucket' as const };
    for (let i = 0; i < 10; i++) await kv.rateLimit('b', policy);
    const denied = await kv.rateLimit('b', policy);
    expect(denied).toEqual({ allowed: false, remaining: 0, resetAt: clock.now() + 1000, retryAfterMs: 100, limit: 10 });
    clock.advance(99);
    expect((await kv.rateLimit('b', policy)).allowed).toBe(false);
    clock.advance(1);
    expect(await kv.rateLimit('b', policy)).toMatchObject({ allowed: true, remaining: 0 });
    clock.advance(500);
    expect(await kv.rateLimit('b', policy)).toMatchObject({ allowed: true, remaining: 4 });
    await kv.stop();
  });

  it('weights the previous window of a sliding window by its remaining overlap', async () => {
    const clock = fakeClock(1_700_000_000_000); // a multiple of 1000: the start of a window
    const kv = createEmbeddedKv({ now: clock.now });
    await kv.start();
    const policy = { limit: 10, windowMs: 1000 };
    for (let i = 0; i < 10; i++) await kv.rateLimit('w', policy);
    clock.advance(1250); // next window, a quarter in: the previous 10 count as 7.5
    expect(await kv.rateLimit('w', policy)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await kv.rateLimit('w', policy)).toMatchObject({ allowed: true, remaining: 0 });
    const denied = await kv.rateLimit('w', policy);
    expect(denied.allowed).toBe(false);
    clock.advance(denied.retryAfterMs);
    expect((await kv.rateLimit('w', policy)).allowed).toBe(true);
    await kv.stop();
  });
});

describe('embedded key space', () => {
  it('reclaims expired keys nobody reads on sweep', () => {
    const clock = fakeClock();
    const keyspace = new Keyspace(clock.now);
    keyspace.put('a', { kind: 'string', value: '1' }, clock.now() + 10);
    keyspace.put('b', { kind: 'string', value: '2' }, undefined);
    clock.advance(10);
    expect(keyspace.sweep()).toBe(1);
    expect(keyspace.lookup('b')).toEqual({ kind: 'string', value: '2' });
  });

  it('runs its sweep on a timer that does not keep the process alive', async () => {
    const setInterval = jest.spyOn(global, 'setInterval');
    const kv = createEmbeddedKv({ sweepIntervalMs: 50 });
    await kv.start();
    const timer = setInterval.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    await kv.stop();
    setInterval.mockRestore();
  });
});

describe('stop signal', () => {
  // Every open follower listens to it; past 10 listeners Node would print a leak warning.
  it('has no listener limit', () => {
    expect(getMaxListeners(stopSignal().signal)).toBe(0);
  });
});
