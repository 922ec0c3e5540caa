import { CLIENT_HEADER } from '@chatgraph/kit';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestGraph, type TestGraph } from './support/testGraph';

const AGENT = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const forged = Buffer.from(JSON.stringify({ userAgent: 'forged', address: '198.51.100.9' })).toString('base64url');

async function clientSeen(graph: TestGraph, headers: Record<string, string>): Promise<unknown> {
  const res = await graph.router.query('{ client }', { headers });
  expect(res.body.errors).toBeUndefined();
  return JSON.parse(String(res.body.data?.client));
}

describe('router: the end client signed to subgraphs', () => {
  describe('with no trusted proxy (default)', () => {
    let graph: TestGraph;
    beforeAll(async () => {
      graph = await startTestGraph();
    });
    afterAll(() => graph.stop());

    it("forwards the client's User-Agent and socket address", async () => {
      expect(await clientSeen(graph, { 'user-agent': AGENT })).toEqual({ userAgent: AGENT, address: '127.0.0.1' });
    });

    it('cuts a long User-Agent to 200 characters', async () => {
      expect(await clientSeen(graph, { 'user-agent': 'a'.repeat(500) })).toEqual({ userAgent: 'a'.repeat(200), address: '127.0.0.1' });
    });

    it('ignores a client header and X-Forwarded-For sent by the client', async () => {
      const seen = await clientSeen(graph, { 'user-agent': AGENT, [CLIENT_HEADER]: forged, 'x-forwarded-for': '198.51.100.9' });
      expect(seen).toEqual({ userAgent: AGENT, address: '127.0.0.1' });
    });

    it("signs the upgrade request's User-Agent for a query over graphql-ws, not a client header", async () => {
      class BrowserSocket extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols, { headers: { 'user-agent': AGENT, [CLIENT_HEADER]: forged } });
        }
      }
      const client = createClient({
        url: `${graph.router.url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: BrowserSocket,
        retryAttempts: 0,
      });
      try {
        const result = await new Promise<{ data?: { client?: string } | null }>((resolve, reject) => {
          let last: { data?: { client?: string } | null } = {};
          client.subscribe<{ client: string }>(
            { query: '{ client }' },
            { next: (r) => (last = r), error: reject, complete: () => resolve(last) },
          );
        });
        expect(JSON.parse(String(result.data?.client))).toEqual({ userAgent: AGENT, address: '127.0.0.1' });
      } finally {
        await client.dispose();
      }
    });
  });

  describe('behind one trusted proxy', () => {
    let graph: TestGraph;
    beforeAll(async () => {
      graph = await startTestGraph({ trustedProxyHops: 1 });
    });
    afterAll(() => graph.stop());

    it('takes the address the proxy appended to X-Forwarded-For, not the ones the client wrote', async () => {
      const seen = await clientSeen(graph, { 'user-agent': AGENT, 'x-forwarded-for': '198.51.100.9, 203.0.113.7' });
      expect(seen).toEqual({ userAgent: AGENT, address: '203.0.113.7' });
    });
  });
});
