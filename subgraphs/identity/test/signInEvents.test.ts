import { signRequest } from '@chatgraph/kit';
import { identitySessionV1 } from '@chatgraph/schema';
import { coarseIp } from '../src/sessionEvents';
import { identityCollections } from '../src/store';
import { ANON, login, ok, PASSWORD, principalOf, refresh, register, SECRET, startIdentity, type Auth, type Harness } from './harness';

describe('coarseIp: the network, never the address', () => {
  it('keeps an IPv4 /24 and an IPv6 /48', () => {
    expect(coarseIp('203.0.113.77')).toBe('203.0.113.0/24');
    expect(coarseIp('::ffff:198.51.100.9')).toBe('198.51.100.0/24');
    expect(coarseIp('2001:DB8:1:2:3:4:5:6')).toBe('2001:db8:1::/48');
    expect(coarseIp('2001:db8::1')).toBe('2001:db8:0::/48');
  });

  it('is null for anything that is not an address', () => {
    for (const value of [null, undefined, '', 'unknown', '203.0.113', '1.2.3.4.5']) expect(coarseIp(value)).toBeNull();
  });
});

describe('identity.session.v1 session.started', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startIdentity();
  });
  afterAll(() => h.dispose());

  it('rides on the outbox of a session opened by a password sign-in, not of a registration or a refresh', async () => {
    const sessions = identityCollections(h.store).sessions;
    const first = await register(h, 'signin@example.com');
    const registered = await sessions.findById(principalOf(first).sessionId ?? '');
    expect(registered?._outbox ?? []).toEqual([]);

    const signedIn = ok<Auth>(await login(h, 'signin@example.com'), 'login');
    const { sessionId, userId } = principalOf(signedIn);
    const session = await sessions.findById(sessionId ?? '');
    const entries = session?._outbox ?? [];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ topic: identitySessionV1.topic, key: userId });
    const event = identitySessionV1.validate(entries[0]?.event);
    expect(event).toMatchObject({ type: 'session.started', subject: { userId, sessionId }, payload: { method: 'password' } });

    ok<Auth>(await refresh(h, signedIn.refreshToken), 'refreshSession');
    expect((await sessions.findById(sessionId ?? ''))?._outbox).toEqual(entries);
  });

  it('carries the device and the network of the client the router signed, never the address itself', async () => {
    await register(h, 'device@example.com');
    const body = JSON.stringify({
      query: 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }',
      variables: { input: { email: 'device@example.com', password: PASSWORD } },
    });
    const client = { userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', address: '203.0.113.77' };
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signRequest(SECRET, ANON, body, Date.now(), client) },
      body,
    });
    const token = ((await res.json()) as { data?: { login?: { accessToken: string } } }).data?.login?.accessToken;
    const { sessionId } = principalOf({ accessToken: token ?? '' });
    const session = await identityCollections(h.store).sessions.findById(sessionId ?? '');
    const event = identitySessionV1.validate(session?._outbox?.[0]?.event);
    expect(event.payload).toEqual({ method: 'password', userAgent: client.userAgent, ipPrefix: '203.0.113.0/24' });
    expect(JSON.stringify(session?._outbox)).not.toContain('203.0.113.77');
  });
});
