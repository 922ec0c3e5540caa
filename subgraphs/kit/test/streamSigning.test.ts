import { NonceRegistry, signRequest, signStreamedRequest, verifyRequest, verifyStreamedRequest, type Principal } from '../src';

const SECRET = 'stream-signing-test-secret-0123456789';
const ROUTER: Principal = { kind: 'service', name: 'router' };
const reason = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as { reason?: string }).reason;
  }
};

describe('streamed-request signing', () => {
  it('accepts the signed method and target once, with the principal', () => {
    const headers = signStreamedRequest(SECRET, ROUTER, 'PUT', '/files/uploads/abc');
    const nonces = new NonceRegistry(5000);
    expect(verifyStreamedRequest(SECRET, headers, 'PUT', '/files/uploads/abc', { maxSkewMs: 5000, nonces })).toEqual(ROUTER);
    expect(reason(() => verifyStreamedRequest(SECRET, headers, 'PUT', '/files/uploads/abc', { maxSkewMs: 5000, nonces }))).toBe('replayed');
  });

  it('refuses another method, another target, another secret, a stale or a missing signature', () => {
    const headers = signStreamedRequest(SECRET, ROUTER, 'GET', '/files/a/content?token=x');
    const options = { maxSkewMs: 5000 };
    expect(reason(() => verifyStreamedRequest(SECRET, headers, 'HEAD', '/files/a/content?token=x', options))).toBe('bad-signature');
    expect(reason(() => verifyStreamedRequest(SECRET, headers, 'GET', '/files/a/content?token=y', options))).toBe('bad-signature');
    expect(reason(() => verifyStreamedRequest(`${SECRET}!`, headers, 'GET', '/files/a/content?token=x', options))).toBe('bad-signature');
    const old = signStreamedRequest(SECRET, ROUTER, 'GET', '/x', Date.now() - 60_000);
    expect(reason(() => verifyStreamedRequest(SECRET, old, 'GET', '/x', options))).toBe('stale');
    expect(reason(() => verifyStreamedRequest(SECRET, {}, 'GET', '/x', options))).toBe('missing');
  });

  it('a body signature never passes as a streamed one, nor the other way round', () => {
    const body = signRequest(SECRET, ROUTER, '');
    expect(reason(() => verifyStreamedRequest(SECRET, body, 'POST', '/graphql', { maxSkewMs: 5000 }))).toBe('bad-signature');
    const streamed = signStreamedRequest(SECRET, ROUTER, 'POST', '/graphql');
    expect(reason(() => verifyRequest(SECRET, streamed, '', { maxSkewMs: 5000 }))).toBe('bad-signature');
  });
});
