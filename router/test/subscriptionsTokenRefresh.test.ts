import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually } from './support/http';
import { startSubscriptionGraph, type SubscriptionGraph } from './support/subscriptionsHarness';

/**
 * The socket-auth contract with the real graphql-ws client and its DEFAULT options (lazy, five
 * retries with exponential backoff): a refused token reaches the app without retries (4401), and an
 * access token expiring mid-connection (4403) is retried, so a `connectionParams` function that
 * returns a fresh token reconnects and resubscribes without the app seeing an error.
 */
describe('router subscriptions: token refusal and refresh with graphql-ws defaults', () => {
  let graph: SubscriptionGraph;
  const clients: Client[] = [];
  beforeAll(async () => {
    graph = await startSubscriptionGraph();
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await graph.stop();
  });

  /** A default-options client that counts its connection attempts and records its closes. */
  function defaultClient(connectionParams: () => Record<string, unknown>): {
    client: Client;
    attempts: () => number;
    closes: Array<{ code: number; reason: string }>;
  } {
    let attempts = 0;
    const closes: Array<{ code: number; reason: string }> = [];
    const client = createClient({
      url: `${graph.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams,
      on: {
        connecting: () => void attempts++,
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: unknown };
          closes.push({ code, reason: String(reason) });
        },
      },
    });
    clients.push(client);
    return { client, attempts: () => attempts, closes };
  }

  it('an invalid or expired token reaches the error callback after one connection attempt (4401, not retried)', async () => {
    for (const token of ['not-a-token', graph.token('carol', -10)]) {
      const { client, attempts, closes } = defaultClient(() => ({ authorization: `Bearer ${token}` }));
      // Whichever comes first: the app's error, or the client connecting again (a retry).
      const outcome = await new Promise<unknown>((resolve) => {
        client.on('connecting', () => {
          if (attempts() > 1) resolve('retried');
        });
        client.subscribe(
          { query: 'subscription { messageStream(messageId: "x1") { seq } }' },
          { next: () => resolve('data'), error: resolve, complete: () => resolve('complete') },
        );
      });
      expect(outcome).toMatchObject({ code: 4401 });
      expect(attempts()).toBe(1);
      expect(closes).toEqual([{ code: 4401, reason: 'Invalid or expired token' }]);
    }
  });

  it('a token expiring mid-connection is refreshed by the connectionParams function: the subscription continues', async () => {
    const issued: string[] = [];
    // The recipe from docs/clients.md: connectionParams is a function, called on every connect.
    const { client, attempts, closes } = defaultClient(() => {
      const token = graph.token('renata', issued.length === 0 ? 2 : 600);
      issued.push(token);
      return { authorization: `Bearer ${token}` };
    });
    const seqs: number[] = [];
    const failures: unknown[] = [];
    client.subscribe<{ messageStream: { seq: number } }>(
      { query: 'subscription { messageStream(messageId: "t1") { seq } }' },
      {
        next: (event) => seqs.push(event.data?.messageStream.seq ?? -1),
        error: (err) => failures.push(err),
        complete: () => failures.push('complete'),
      },
    );
    const opened = graph.streaming.opened.length;
    await eventually(async () => (graph.streaming.opened.length === opened + 1 && graph.streaming.active() === 1 ? true : undefined));
    graph.streaming.publish('t1', { seq: 1, delta: 'a', message: null });
    await eventually(async () => (seqs.length === 1 ? true : undefined));

    // The router closes at expiry (4403); the client waits its backoff, calls connectionParams again
    // and resubscribes, which opens the stream at the subgraph a second time.
    await eventually(async () => (graph.streaming.opened.length === opened + 2 && graph.streaming.active() === 1 ? true : undefined), {
      attempts: 600,
    });
    graph.streaming.publish('t1', { seq: 2, delta: 'b', message: null });
    await eventually(async () => (seqs.includes(2) ? true : undefined));

    // The test subgraph replays a stream from its start on resubscription (real clients pass `after`).
    expect(seqs[0]).toBe(1);
    expect(seqs.at(-1)).toBe(2);
    expect(failures).toEqual([]);
    expect(closes).toEqual([{ code: 4403, reason: 'Access token expired' }]);
    expect(attempts()).toBe(2);
    expect(issued).toHaveLength(2);
  });
});
