/**
 * A browser app on another origin, as a frontend team runs one against `pnpm start`: headless
 * Chromium loads a page from a second local server (another port, so another origin), and the
 * page logs in, sends a message and streams the answer over graphql-ws (the package's own browser
 * bundle), then again over GraphQL over SSE (graphql-sse's browser bundle: `fetch`, no EventSource) — all cross-origin, through the router's CORS and the sockets' Origin check, with the
 * development default (localhost origins on any port).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { register } from './liveChatScenarios';

/** Flags for Debian's Chromium in a container: no sandbox, GPU, QUIC or background traffic. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** graphql-ws's browser (UMD) bundle, straight from node_modules: it defines `window.graphqlWs`. */
const GRAPHQL_WS_BUNDLE = path.join(path.dirname(require.resolve('graphql-ws')), '..', 'umd', 'graphql-ws.js');

/** graphql-sse's browser (UMD) bundle: it defines `window.graphqlSse`. */
const GRAPHQL_SSE_BUNDLE = path.join(path.dirname(require.resolve('graphql-sse')), '..', 'umd', 'graphql-sse.js');

/** The app: plain browser code, no bundler. `window.chat` runs the whole flow and returns what it saw. */
const PAGE = /* HTML */ `<!doctype html>
  <html>
    <head>
      <meta charset="utf-8" />
      <title>chat app</title>
      <script src="/graphql-ws.js"></script>
      <script src="/graphql-sse.js"></script>
    </head>
    <body>
      <script>
        async function gql(api, token, query, variables) {
          const res = await fetch(api, {
            method: 'POST',
            headers: Object.assign(
              { 'content-type': 'application/json', accept: 'application/graphql-response+json,application/json;q=0.9' },
              token ? { authorization: 'Bearer ' + token } : {},
            ),
            body: JSON.stringify({ query, variables }),
          });
          return { status: res.status, requestId: res.headers.get('x-request-id'), body: await res.json() };
        }
        window.chat = async (api, email, password) => {
          const login = await gql(api, null, 'mutation($input: LoginInput!) { login(input: $input) { accessToken } }', {
            input: { email, password },
          });
          const token = login.body.data.login.accessToken;
          const sent = await gql(
            api,
            token,
            'mutation($input: SendMessageInput!) { sendMessage(input: $input) { assistantMessage { id } streamId } }',
            { input: { content: 'Hello from another origin' } },
          );
          const { streamId, assistantMessage } = sent.body.data.sendMessage;
          const client = graphqlWs.createClient({
            url: api.replace(/^http/, 'ws'),
            connectionParams: { authorization: 'Bearer ' + token },
            retryAttempts: 0,
          });
          const chunks = [];
          await new Promise((resolve, reject) => {
            client.subscribe(
              {
                query: 'subscription($streamId: ID!) { messageStream(streamId: $streamId) { seq delta done message { id status } } }',
                variables: { streamId },
              },
              {
                next: (result) =>
                  result.errors ? reject(new Error(JSON.stringify(result.errors))) : chunks.push(result.data.messageStream),
                error: (err) => reject(new Error(String((err && (err.reason || err.message)) || err))),
                complete: resolve,
              },
            );
          });
          await client.dispose();
          // The same stream again over SSE (a replay: the answer is finished), with graphql-sse's fetch-based client.
          const sse = graphqlSse.createClient({ url: api, headers: { authorization: 'Bearer ' + token }, retryAttempts: 0 });
          const sseChunks = [];
          await new Promise((resolve, reject) => {
            sse.subscribe(
              {
                query: 'subscription($streamId: ID!) { messageStream(streamId: $streamId) { seq delta done message { id status } } }',
                variables: { streamId },
              },
              {
                next: (result) =>
                  result.errors ? reject(new Error(JSON.stringify(result.errors))) : sseChunks.push(result.data.messageStream),
                error: (err) => reject(new Error(String((err && err.message) || err))),
                complete: resolve,
              },
            );
          });
          sse.dispose();
          return { loginRequestId: login.requestId, messageId: assistantMessage.id, chunks, sseChunks };
        };
      </script>
    </body>
  </html>`;

/** The second origin: serves the page and graphql-ws's bundle, nothing else. */
function startStaticServer(): Promise<{ server: Server; origin: string }> {
  const bundle = readFileSync(GRAPHQL_WS_BUNDLE);
  const sseBundle = readFileSync(GRAPHQL_SSE_BUNDLE);
  const server = createServer((req, res) => {
    if (req.url === '/graphql-ws.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else if (req.url === '/graphql-sse.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(sseBundle);
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    else res.writeHead(404).end();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })),
  );
}

interface Seen {
  loginRequestId: string | null;
  messageId: string;
  chunks: Array<{ seq: number; delta: string; done: boolean; message: { id: string; status: string } | null }>;
  sseChunks: Array<{ seq: number; delta: string; done: boolean; message: { id: string; status: string } | null }>;
}

let stack: EmbeddedStack;
let dataDir: string;
let browser: Browser;
let site: { server: Server; origin: string };

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-browser-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'silent',
    DEMO_TOKEN_INTERVAL_MS: '5',
  });
  site = await startStaticServer();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.server.close(resolve));
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('a page on another origin logs in, sends a message and streams the answer over graphql-ws, then over SSE', async () => {
  const email = `browser-${Date.now()}@example.com`;
  await register(stack.url, email, 'Browser User');
  const page = await browser.newPage();
  try {
    await page.goto(`${site.origin}/`);
    expect(new URL(stack.url).origin).not.toBe(site.origin);
    const seen = (await page.evaluate(
      ([api, address]) =>
        (globalThis as unknown as { chat(a: string, e: string, p: string): Promise<unknown> }).chat(
          api,
          address,
          'a perfectly fine passphrase',
        ),
      [stack.url, email] as const,
    )) as Seen;
    // The page could read a header the router exposes to allowed origins.
    expect(seen.loginRequestId).toEqual(expect.any(String));
    expect(seen.chunks.length).toBeGreaterThan(1);
    expect(seen.chunks.map((chunk) => chunk.seq)).toEqual(seen.chunks.map((_, index) => seen.chunks[0]!.seq + index));
    expect(seen.chunks.at(-1)).toMatchObject({ done: true, message: { id: seen.messageId } });
    expect(seen.chunks.map((chunk) => chunk.delta).join('').length).toBeGreaterThan(0);
    // The SSE replay (cross-origin fetch of a text/event-stream answer): the whole answer, the same chunks.
    expect(seen.sseChunks.map((chunk) => [chunk.seq, chunk.delta])).toEqual(seen.chunks.map((chunk) => [chunk.seq, chunk.delta]));
    expect(seen.sseChunks.at(-1)).toMatchObject({ done: true, message: { id: seen.messageId } });
  } finally {
    await page.close();
  }
}, 60_000);
