/**
 * The per-user cap on open subscriptions (SUBSCRIPTIONS_PER_USER) over two routers sharing one kv,
 * whatever the transport: graphql-ws, GraphQL over SSE and multipart subscriptions. Run embedded
 * and on a real Redis.
 */
import type { Client } from 'graphql-ws';
import { wsClient } from '../liveChatScenarios';
import { eventually, gql, type TwoRouters } from './support';

const HOLD = 'subscription($s: ID!) { messageStream(streamId: $s) { seq } }';
const SEND = 'mutation($c: String!) { sendMessage(input: { content: $c }) { streamId } }';
const MULTIPART = 'multipart/mixed;subscriptionSpec="1.0", application/json';
const SET_POLICY = 'mutation($input: RateLimitPolicyInput!) { setRateLimitPolicy(input: $input) { name limit disabled } }';
/** The built-in cap on open subscriptions, as an ADMIN overrides it. */
const CAP = {
  name: 'subscriptions-per-user',
  scope: 'CONCURRENT_SUBSCRIPTIONS',
  principals: ['USER', 'API_KEY'],
  key: 'PRINCIPAL',
  windowMs: 60_000,
  cost: 'REQUEST',
  failMode: 'OPEN',
};

/** The router env of the scenario: a cap of 2, and a slow demo model so a generation's stream stays open for the whole test. */
export const STREAMS_PER_USER_ENV = { SUBSCRIPTIONS_PER_USER: '2', DEMO_TOKEN_INTERVAL_MS: '5000', DRAIN_TIMEOUT_MS: '0' };

/** The scenario, on two routers `start` brings up with STREAMS_PER_USER_ENV. */
export function describeStreamsPerUser(start: () => Promise<TwoRouters>): void {
  let t: TwoRouters;
  const aborts: AbortController[] = [];
  const clients: Client[] = [];
  /** Each user's generation stream (one per user, subscribed to as often as the test needs). */
  const streams = new Map<string, string>();

  /** Registers a user and starts a generation: its stream is what the user's subscriptions follow. */
  async function userWithStream(email: string): Promise<string> {
    const token = await t.register(email);
    const sent = await gql(t.urls[0], SEND, { c: 'a long answer please' }, token);
    streams.set(token, (sent.body.data?.sendMessage as { streamId: string }).streamId);
    return token;
  }

  /** The bootstrap ADMIN (the first account registered). */
  let admin: string;

  beforeAll(async () => {
    t = await start();
    admin = await t.register('streams-admin@example.com');
  });
  afterAll(async () => {
    for (const a of aborts) a.abort();
    for (const c of clients) await c.dispose();
    await t.stop();
  });

  /** Opens a subscription over HTTP (`accept`: multipart or SSE) and reads its head: the stream stays open until aborted. */
  async function openHttp(url: string, token: string, accept: string): Promise<{ response: Response; abort: () => void }> {
    const controller = new AbortController();
    aborts.push(controller);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: HOLD, variables: { s: streams.get(token) } }),
      signal: controller.signal,
    });
    return { response, abort: () => controller.abort() };
  }

  /** Subscribes over graphql-ws: the refusal's error (with its extensions) or 'open' after the router sent nothing back for a while. */
  function wsRefusal(url: string, token: string): Promise<{ code?: string; limit?: string; retryAfterSeconds?: number } | 'complete'> {
    const client = wsClient(url, token);
    clients.push(client);
    return new Promise((resolve) => {
      client.subscribe(
        { query: HOLD, variables: { s: streams.get(token) } },
        {
          next: () => undefined,
          error: (err) => resolve(((err as Array<{ extensions?: Record<string, unknown> }>)[0]?.extensions ?? {}) as { code?: string }),
          complete: () => resolve('complete'),
        },
      );
    });
  }

  describe('open subscriptions per user, across two routers', () => {
    it('refuses the third subscription of a user holding one on each router (graphql-ws and HTTP streams), then admits one once another closed', async () => {
      const token = await userWithStream('streams-per-user@example.com');
      const first = await openHttp(t.urls[0], token, MULTIPART);
      expect(first.response.status).toBe(200);
      const second = await openHttp(t.urls[1], token, 'text/event-stream');
      expect(second.response.status).toBe(200);
      expect(second.response.headers.get('content-type')).toContain('text/event-stream');

      // Each router holds one: only the count in the shared kv says the user is at 2.
      const overWs = await wsRefusal(t.urls[0], token);
      expect(overWs).toMatchObject({ code: 'RATE_LIMITED', limit: 'subscriptionsPerUser' });
      expect((overWs as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
      const overHttp = await openHttp(t.urls[1], token, MULTIPART);
      expect(overHttp.response.status).toBe(429);
      const body = (await overHttp.response.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
      expect(body.errors[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'subscriptionsPerUser', max: 2 });

      // Another user is not affected.
      const other = await userWithStream('streams-other@example.com');
      expect((await openHttp(t.urls[0], other, MULTIPART)).response.status).toBe(200);

      // Closing the one on the first router frees a slot the second router sees.
      first.abort();
      await eventually(async () => {
        const again = await openHttp(t.urls[1], token, MULTIPART);
        if (again.response.status !== 200) await again.response.text();
        return again.response.status === 200;
      });
      const third = await openHttp(t.urls[0], token, MULTIPART);
      expect(third.response.status).toBe(429);
    });

    it('takes the cap from the concurrent-subscriptions policy: an ADMIN lowers, raises and disables it at run time on every router', async () => {
      const token = await userWithStream('streams-policy@example.com');
      expect((await openHttp(t.urls[0], token, MULTIPART)).response.status).toBe(200);
      /** Opens one on the second router: the refusal's `max`, or 'open' (kept open when `keep`, else closed again). */
      const tryOther = async (keep: boolean): Promise<number | 'open'> => {
        const opened = await openHttp(t.urls[1], token, MULTIPART);
        if (opened.response.status === 200) {
          if (!keep) opened.abort();
          return 'open';
        }
        return ((await opened.response.json()) as { errors: Array<{ extensions: { max: number } }> }).errors[0]?.extensions.max ?? -1;
      };
      const setCap = async (input: Record<string, unknown>) => {
        const set = await gql(t.urls[0], SET_POLICY, { input: { ...CAP, ...input } }, admin);
        expect(set.body.errors).toBeUndefined();
      };

      // Set through the first router: the second refuses a subscription beyond the new cap of 1.
      await setCap({ limit: 1 });
      await eventually(async () => (await tryOther(false)) === 1);
      // Raised to 2: the second router admits one again (the per-user count is 2 now).
      await setCap({ limit: 2 });
      await eventually(async () => (await tryOther(true)) === 'open');
      expect(await tryOther(false)).toBe(2);
      // Disabled: no shared cap (the per-router cap of SUBSCRIPTIONS_PER_USER still holds: 2 on the second router).
      await setCap({ limit: 1, disabled: true });
      await eventually(async () => (await tryOther(true)) === 'open');
      // Back to the default (SUBSCRIPTIONS_PER_USER = 2): the user holds 3, so the first router refuses.
      await t.admin.resetPolicy('subscriptions-per-user');
      await eventually(async () => {
        const opened = await openHttp(t.urls[0], token, MULTIPART);
        if (opened.response.status === 200) opened.abort();
        return (
          opened.response.status === 429 &&
          ((await opened.response.json()) as { errors: Array<{ extensions: { max: number } }> }).errors[0]?.extensions.max === 2
        );
      });
    });

    it('answers every HTTP stream (SSE and multipart, opened, refused, or a query over SSE) with RateLimit-Policy and RateLimit, and a 429 with Retry-After', async () => {
      const token = await userWithStream('streams-headers@example.com');
      for (const accept of [MULTIPART, 'text/event-stream']) {
        const open = await openHttp(t.urls[1], token, accept);
        expect(open.response.status).toBe(200);
        expect(open.response.headers.get('ratelimit-policy')).toBe('"subscribe";q=120;w=60');
        expect(open.response.headers.get('ratelimit')).toMatch(/^"subscribe";r=\d+;t=\d+$/);
      }
      // At the cap of 2: refused, with the same headers and when to come back.
      const refused = await openHttp(t.urls[0], token, MULTIPART);
      expect(refused.response.status).toBe(429);
      const seconds = ((await refused.response.json()) as { errors: Array<{ extensions: { retryAfterSeconds: number } }> }).errors[0]
        ?.extensions.retryAfterSeconds;
      expect(seconds).toBeGreaterThan(0);
      expect(refused.response.headers.get('retry-after')).toBe(String(seconds));
      expect(refused.response.headers.get('ratelimit')).toMatch(/"subscribe";r=\d+;t=\d+/);
      const refusedSse = await openHttp(t.urls[0], token, 'text/event-stream');
      expect(refusedSse.response.status).toBe(200);
      expect(await refusedSse.response.text()).toContain('RATE_LIMITED');
      expect(refusedSse.response.headers.get('ratelimit-policy')).toBe('"subscribe";q=120;w=60');
      expect(refusedSse.response.headers.get('retry-after')).toMatch(/^\d+$/);
      // A query over SSE spends (and reports) the operation budgets, as over JSON.
      const query = await fetch(t.urls[0], {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(await query.text()).toContain('__typename');
      expect(query.headers.get('ratelimit-policy')).toMatch(/"default";q=600;w=60, "cost";q=100000;w=60/);
    });
  });
}
