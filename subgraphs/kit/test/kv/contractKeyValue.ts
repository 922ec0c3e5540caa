import { KvWrongTypeError } from '../../src/kv';
import { eventually, sleep, type KvContext } from './helpers';

export function keyValueContract(ctx: KvContext): void {
  it('stores, replaces and deletes string values', async () => {
    const kv = ctx.kv();
    expect(await kv.get('greeting')).toBeNull();
    expect(await kv.set('greeting', 'hello')).toBe(true);
    expect(await kv.get('greeting')).toBe('hello');
    await kv.set('greeting', JSON.stringify({ text: 'héllo 👋' }));
    expect(JSON.parse((await kv.get('greeting')) ?? 'null')).toEqual({ text: 'héllo 👋' });
    expect(await kv.del('greeting')).toBe(true);
    expect(await kv.del('greeting')).toBe(false);
    expect(await kv.get('greeting')).toBeNull();
  });

  it('writes with ifAbsent only when the key is missing', async () => {
    const kv = ctx.kv();
    expect(await kv.set('lock', 'first', { ifAbsent: true })).toBe(true);
    expect(await kv.set('lock', 'second', { ifAbsent: true })).toBe(false);
    expect(await kv.get('lock')).toBe('first');
  });

  it('expires a value after its ttl, and a plain set removes the expiry', async () => {
    const kv = ctx.kv();
    await kv.set('cached', 'v', { ttlMs: 100 });
    await kv.set('kept', 'v', { ttlMs: 100 });
    await kv.set('kept', 'w');
    expect(await kv.get('cached')).toBe('v');
    await eventually(async () => (await kv.get('cached')) === null, 'the cached value to expire');
    await sleep(150); // past the first expiry of "kept"
    expect(await kv.get('kept')).toBe('w');
  });

  it('sets an expiry on an existing key of any kind, and reports a missing one', async () => {
    const kv = ctx.kv();
    expect(await kv.expire('missing', 100)).toBe(false);
    await kv.set('session', 's');
    await kv.append('tokens', { delta: 'x' });
    expect(await kv.expire('session', 100)).toBe(true);
    expect(await kv.expire('tokens', 100)).toBe(true);
    await eventually(async () => (await kv.get('session')) === null && (await kv.read('tokens')).length === 0, 'both keys to expire');
  });

  it('counts with incrBy, from a missing key, in both directions', async () => {
    const kv = ctx.kv();
    expect(await kv.incrBy('credits', 5)).toBe(5);
    expect(await kv.incrBy('credits', -7)).toBe(-2);
    expect(await kv.get('credits')).toBe('-2');
    await kv.set('preset', '40');
    expect(await kv.incrBy('preset', 2)).toBe(42);
  });

  it('increments atomically under concurrency: every caller sees a distinct value', async () => {
    const kv = ctx.kv();
    const peer = await ctx.peer();
    const values = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? kv : peer).incrBy('hits', 1)));
    expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await kv.get('hits')).toBe('100');
  });

  it('gives a counter its expiry on the first increment and keeps it on later ones', async () => {
    const kv = ctx.kv();
    expect(await kv.incrBy('window', 1, { ttlMs: 150 })).toBe(1);
    // Were this ttl applied, the counter would live an hour and the wait below would time out.
    expect(await kv.incrBy('window', 1, { ttlMs: 3_600_000 })).toBe(2);
    await eventually(async () => (await kv.get('window')) === null, 'the counter to expire with its first ttl');
    expect(await kv.incrBy('window', 1, { ttlMs: 3_600_000 })).toBe(1);
  });

  it('refuses to use a key as another kind of value', async () => {
    const kv = ctx.kv();
    await kv.set('text', 'not a number');
    await kv.append('stream', { delta: 'a' });
    await expect(kv.incrBy('text', 1)).rejects.toBeInstanceOf(KvWrongTypeError);
    await expect(kv.append('text', { delta: 'b' })).rejects.toBeInstanceOf(KvWrongTypeError);
    await expect(kv.read('text')).rejects.toBeInstanceOf(KvWrongTypeError);
    await expect(kv.get('stream')).rejects.toBeInstanceOf(KvWrongTypeError);
    await expect(kv.rateLimit('text', { limit: 1, windowMs: 1000 })).rejects.toBeInstanceOf(KvWrongTypeError);
    expect(await kv.get('text')).toBe('not a number');
  });

  it('refuses invalid arguments before touching data', async () => {
    const kv = ctx.kv();
    await expect(kv.set('k', 'v', { ttlMs: 0 })).rejects.toThrow(RangeError);
    await expect(kv.incrBy('k', 1.5)).rejects.toThrow(RangeError);
    await expect(kv.expire('k', -1)).rejects.toThrow(RangeError);
    expect(await kv.get('k')).toBeNull();
  });
}
