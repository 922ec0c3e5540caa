import { NonceRegistry } from '../src';

describe('NonceRegistry', () => {
  const SKEW = 5000;

  it('accepts a nonce once', () => {
    const nonces = new NonceRegistry(SKEW, 0);
    expect(nonces.claim('a', 0)).toBe(true);
    expect(nonces.claim('a', 1)).toBe(false);
    expect(nonces.claim('b', 1)).toBe(true);
  });

  it('remembers a nonce for as long as its timestamp could pass the clock check (2 × skew after acceptance)', () => {
    const nonces = new NonceRegistry(SKEW, 0);
    // Accepted just before the first generation ends: it must survive the rotation that follows.
    expect(nonces.claim('late', 2 * SKEW - 1)).toBe(true);
    expect(nonces.claim('late', 2 * SKEW - 1 + 2 * SKEW)).toBe(false);
  });

  it('forgets what is past the window, so memory follows the request rate, not the uptime', () => {
    const nonces = new NonceRegistry(SKEW, 0);
    for (let i = 0; i < 1000; i++) nonces.claim(`n${i}`, i);
    expect(nonces.size).toBe(1000);
    nonces.claim('later', 4 * SKEW);
    expect(nonces.size).toBe(1);
    for (let t = 0; t < 100; t++) nonces.claim(`steady${t}`, 4 * SKEW + t * 1000);
    // 100 requests over 100 s, a generation being 10 s: at most two generations' worth are kept.
    expect(nonces.size).toBeLessThanOrEqual(21);
  });
});
