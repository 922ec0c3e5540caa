import { CloseCode, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { signConnectionParams } from '@chatgraph/kit';
import type { WithErrors } from '@chatgraph/test-support';
import { ANON, codeOf, eventually, SECRET, userPrincipal, type Harness, type Target } from '../harness';

const alice = userPrincipal('alice');
const mallory = userPrincipal('mallory');

/** Who may subscribe to or stop a stream, argument validation, and signed connections. */
export function describeAccess(target: Target): void {
  let h: Harness;
  beforeAll(async () => {
    h = await target.start({ STREAM_START_WAIT_MS: '300' });
  });
  afterAll(() => h.dispose());

  it("refuses another user's subscription with FORBIDDEN before any chunk", async () => {
    const g = h.generation('alice');
    await g.start();
    await g.delta('secret');
    const sub = await h.subscribe(mallory, g.streamId).ended();
    expect(sub.code).toBe('FORBIDDEN');
    expect(sub.chunks).toEqual([]);
    expect(h.kv.openFollowers).toBe(0);
  });

  it('refuses another user also while waiting for the start entry (no meta yet)', async () => {
    const g = h.generation('alice');
    await g.start({ withMeta: false });
    const sub = await h.subscribe(mallory, g.streamId).ended();
    expect(sub.code).toBe('FORBIDDEN');
    expect(sub.chunks).toEqual([]);
  });

  it("refuses another user's stopGeneration with FORBIDDEN and publishes nothing", async () => {
    const g = h.generation('alice');
    await g.start();
    const res = await h.gql(mallory, 'mutation($id: ID!) { stopGeneration(streamId: $id) }', { id: g.streamId });
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect(await h.kv.get(`tokens:${g.streamId}:stop`)).toBeNull();
  });

  it('refuses anonymous callers with UNAUTHENTICATED on every field', async () => {
    const g = h.generation('alice');
    await g.start();
    const sub = await h.subscribe(ANON, g.streamId).ended();
    expect(sub.code).toBe('UNAUTHENTICATED');
    expect(codeOf(await h.gql(ANON, 'mutation($id: ID!) { stopGeneration(streamId: $id) }', { id: g.streamId }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await h.gql(ANON, '{ activeStreams { streamId } }'))).toBe('UNAUTHENTICATED');
  });

  it('refuses a service principal too: streams belong to users', async () => {
    const g = h.generation('alice');
    await g.start();
    const sub = await h.subscribe({ kind: 'service', name: 'router' }, g.streamId).ended();
    expect(sub.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['an empty streamId', '', 0, 'streamId'],
    ['a streamId with a colon (another key of the scheme)', 'x:meta', 0, 'streamId'],
    ['a streamId with a space', 'a b', 0, 'streamId'],
    ['a streamId over 128 characters', 'a'.repeat(129), 0, 'streamId'],
    ['a negative after', 'abc', -1, 'after'],
  ])('answers BAD_USER_INPUT for %s', async (_label, streamId, after, field) => {
    const sub = await h.subscribe(alice, streamId, after).ended();
    expect(sub.code).toBe('BAD_USER_INPUT');
    expect(sub.errors?.[0]?.extensions?.field).toBe(field);
  });

  it('answers BAD_USER_INPUT for a bad streamId of stopGeneration', async () => {
    const res = await h.gql(alice, 'mutation { stopGeneration(streamId: "owner:alice") }');
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
  });

  it('answers BAD_USER_INPUT for a subscription document that does not validate', async () => {
    const client = h.client(alice);
    const errors = await new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: 'subscription { messageStream(streamId: "x") { nope } }' },
        { next: () => undefined, error: resolve, complete: () => resolve(undefined) },
      );
    });
    expect(codeOf({ errors: errors as WithErrors['errors'] })).toBe('BAD_USER_INPUT');
  });

  it.each([
    ['no connection params', () => ({})],
    ['params signed with another secret', () => signConnectionParams('another-secret-0123456789abcdef0123456789', alice)],
    ['params signed long ago', () => signConnectionParams(SECRET, alice, Date.now() - 3_600_000)],
  ])('closes a graphql-ws connection with %s with 4403', async (_label, params) => {
    const client = createClient({
      url: h.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: params,
      retryAttempts: 0,
      lazy: true,
    });
    try {
      const closed = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: 'subscription { messageStream(streamId: "abc") { seq } }' },
          { next: () => resolve('got data'), error: resolve, complete: () => resolve('completed') },
        );
      });
      expect((closed as { code?: number }).code).toBe(CloseCode.Forbidden);
      expect(CloseCode.Forbidden).toBe(4403);
    } finally {
      await client.dispose();
    }
  });

  it('refuses unsigned HTTP requests', async () => {
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ activeStreams { streamId } }' }),
    });
    expect(codeOf((await res.json()) as WithErrors)).toBe('UNAUTHENTICATED');
  });

  it('ends the kv follower as soon as the client closes the subscription', async () => {
    const g = h.generation('alice');
    await g.start();
    const sub = h.subscribe(alice, g.streamId);
    await sub.until((s) => s.chunks.length === 1);
    expect(h.kv.openFollowers).toBe(1);
    expect(h.streaming.service.openSubscriptions).toBe(1);
    sub.unsubscribe();
    // The stream stays idle: only the close can end the follower.
    expect(
      await eventually(
        () => h.kv.openFollowers,
        (n) => n === 0,
      ),
    ).toBe(0);
    expect(h.streaming.service.openSubscriptions).toBe(0);
    expect(sub.chunks).toHaveLength(1);
  });

  it('ends the kv followers of every subscription of a socket when the socket goes away', async () => {
    const g = h.generation('alice');
    await g.start();
    const client = h.client(alice);
    const seen: unknown[] = [];
    for (let i = 0; i < 3; i++)
      client.subscribe(
        { query: 'subscription($id: ID!) { messageStream(streamId: $id) { seq } }', variables: { id: g.streamId } },
        { next: (r) => seen.push(r), error: () => undefined, complete: () => undefined },
      );
    await eventually(
      () => seen.length,
      (n) => n === 3,
    );
    const metrics = await (await fetch(h.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/streaming_subscriptions_open\{[^}]*\} 3\b/);
    expect(h.kv.openFollowers).toBe(3);
    await client.dispose();
    expect(
      await eventually(
        () => h.kv.openFollowers,
        (n) => n === 0,
      ),
    ).toBe(0);
    expect(h.streaming.service.openSubscriptions).toBe(0);
  });
}
