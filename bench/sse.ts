/**
 * Subscriptions over HTTP vs graphql-ws, through the router, in the same run and on the same
 * stack (embedded, a local OpenAI-compatible model server behind ai-gateway):
 *
 * 1. Time to first chunk: subscribe to a finished answer (its chunks replay from the stream
 *    store) -> first chunk received; p50/p99 over SSE_TURNS subscriptions per transport.
 *    graphql-ws is measured on an open socket (the usual app) and with a new socket each time
 *    (what an SSE or multipart request always pays: a new HTTP request, on a kept-alive connection).
 * 2. Chunks/s: the whole replay of a long answer (SSE_CHUNKS chunks), median of SSE_RUNS runs.
 * 3. New TCP connections per subscription (HTTP clients reuse kept-alive connections).
 *
 * Clients: `graphql-ws`, `graphql-sse` (distinct connections) and Apollo Client 4's HttpLink
 * (multipart subscriptions), each the library an app would use.
 *
 *   pnpm bench:sse
 *   SSE_TURNS=200 SSE_CHUNKS=900 SSE_RUNS=7 pnpm bench:sse
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApolloClient, HttpLink, InMemoryCache, gql as apolloGql } from '@apollo/client';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded } from '@chatgraph/launcher';
import { nowMs, startPacedProvider } from './support/pacedProvider';

const TURNS = Number(process.env.SSE_TURNS ?? 100);
// A replay hands the router every chunk at once: past SUBSCRIPTION_QUEUE_LIMIT (1000) a client
// parsing slower than the router writes (graphql-sse's and Apollo's parsers, here in the same
// process) ends with SLOW_CONSUMER by design, so the default stays under it.
const CHUNKS = Number(process.env.SSE_CHUNKS ?? 900);
const RUNS = Number(process.env.SSE_RUNS ?? 5);
const SHORT = 'paced-0x20';
const LONG = `paced-0x${CHUNKS}`;

const STREAM = 'subscription($s: ID!) { messageStream(streamId: $s) { seq delta done } }';
interface Chunk {
  seq: number;
  done: boolean;
}

/** Follows a stream to its end: resolves with the time of the first chunk and the count. */
type Follow = (streamId: string) => Promise<{ first: number; count: number }>;

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function gql<T>(url: string, token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** A collector every transport feeds: first chunk time, count, and the end (done chunk or failure). */
function collector(
  resolve: (r: { first: number; count: number }) => void,
  reject: (e: Error) => void,
): { chunk(c: Chunk | undefined, errors?: unknown): void; fail(e: unknown): void; complete(): void } {
  let first = 0;
  let count = 0;
  let last: Chunk | undefined;
  return {
    chunk: (c, errors) => {
      if (!c) return reject(new Error(JSON.stringify(errors)));
      if (count === 0) first = nowMs();
      count++;
      last = c;
    },
    fail: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
    complete: () => (last?.done ? resolve({ first, count }) : reject(new Error(`stream incomplete after ${count} chunks`))),
  };
}

function wsFollow(client: () => WsClient, dispose: boolean): Follow {
  return (streamId) =>
    new Promise((resolve, reject) => {
      const c = client();
      const done = (r: { first: number; count: number }): void =>
        void Promise.resolve(dispose ? c.dispose() : undefined).then(() => resolve(r));
      const col = collector(done, reject);
      c.subscribe<{ messageStream: Chunk }>(
        { query: STREAM, variables: { s: streamId } },
        { next: (r) => col.chunk(r.data?.messageStream, r.errors), error: col.fail, complete: col.complete },
      );
    });
}

function sseFollow(url: string, token: string): Follow {
  const client = createSseClient({ url, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  return (streamId) =>
    new Promise((resolve, reject) => {
      const col = collector(resolve, reject);
      client.subscribe<{ messageStream: Chunk }>(
        { query: STREAM, variables: { s: streamId } },
        { next: (r) => col.chunk(r.data?.messageStream, r.errors), error: col.fail, complete: col.complete },
      );
    });
}

function multipartFollow(url: string, token: string): Follow {
  const client = new ApolloClient({
    link: new HttpLink({ uri: url, headers: { authorization: `Bearer ${token}` } }),
    cache: new InMemoryCache(),
  });
  const query = apolloGql(STREAM);
  return (streamId) =>
    new Promise((resolve, reject) => {
      const col = collector(resolve, reject);
      client.subscribe<{ messageStream: Chunk }>({ query, variables: { s: streamId }, fetchPolicy: 'no-cache' }).subscribe({
        next: (r) => (r.error ? col.fail(r.error) : col.chunk(r.data?.messageStream as Chunk | undefined)),
        error: col.fail,
        complete: col.complete,
      });
    });
}

async function main(): Promise<void> {
  const provider = await startPacedProvider();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-bench-sse-'));
  const catalogFile = path.join(dataDir, 'models.json');
  const models = [SHORT, LONG];
  writeFileSync(
    catalogFile,
    JSON.stringify({
      providers: [{ id: 'bench', kind: 'openai', baseURL: provider.baseURL, apiKeyEnv: 'BENCH_PROVIDER_KEY' }],
      models: models.map((id) => ({ id, displayName: id, contextWindow: 8192, capabilities: ['chat'] })),
      routes: Object.fromEntries(models.map((id) => [id, [{ provider: 'bench', model: id }]])),
      titleModel: SHORT,
    }),
  );
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const stack = await startEmbedded(config, {
    ...process.env,
    LOG_LEVEL: 'warn',
    MODEL_CATALOG_FILE: catalogFile,
    BENCH_PROVIDER_KEY: 'sk-bench',
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
  });
  const url = stack.url;
  const wsOpen: WsClient[] = [];
  // TCP connections the router accepted: explains first-chunk times (a new connection costs a handshake).
  let accepted = 0;
  stack.router.http.nodeServer?.on('connection', () => accepted++);
  try {
    const token = (
      await gql<{ register: { accessToken: string } }>(
        url,
        undefined,
        'mutation($i: RegisterInput!) { register(input: $i) { accessToken } }',
        { i: { email: `sse-${Date.now()}@example.com`, password: 'benchmark password 1', name: 'bench' } },
      )
    ).register.accessToken;
    const newWs = (): WsClient =>
      createWsClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
        lazy: true,
      });
    const open = createWsClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: false,
    });
    wsOpen.push(open);
    const transports: Array<[string, Follow]> = [
      ['graphql-ws (open socket)', wsFollow(() => open, false)],
      ['graphql-ws (new socket each)', wsFollow(newWs, true)],
      ['graphql-sse (SSE)', sseFollow(url, token)],
      ['Apollo multipart', multipartFollow(url, token)],
    ];
    const send = async (model: string): Promise<string> =>
      (
        await gql<{ sendMessage: { streamId: string } }>(
          url,
          token,
          'mutation($i: SendMessageInput!) { sendMessage(input: $i) { streamId } }',
          { i: { content: 'bench', model } },
        )
      ).sendMessage.streamId;
    const short = await send(SHORT);
    const long = await send(LONG);
    // Both answers finished (followed to their done chunk) before anything is measured: every figure is a replay.
    await wsFollow(() => open, false)(short);
    await wsFollow(() => open, false)(long);
    console.log(`\nsubscriptions over HTTP vs graphql-ws through the router (embedded), Node ${process.version}`);
    console.log(`  time to first chunk of a finished answer (${TURNS} subscriptions each, one at a time):`);
    for (const [name, follow] of transports) {
      for (let i = 0; i < 10; i++) await follow(short); // warm-up
      const times: number[] = [];
      const acceptedBefore = accepted;
      for (let i = 0; i < TURNS; i++) {
        const started = nowMs();
        const { first } = await follow(short);
        times.push(first - started);
      }
      console.log(
        `    ${name.padEnd(30)} p50 ${pct(times, 50).toFixed(2)} ms   p99 ${pct(times, 99).toFixed(2)} ms   (${((accepted - acceptedBefore) / TURNS).toFixed(2)} new TCP connections per subscription)`,
      );
    }
    console.log(`  chunks/s, whole replay of a ${CHUNKS}-chunk answer (median of ${RUNS} runs):`);
    for (const [name, follow] of transports) {
      await follow(long); // warm-up
      const rates: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const started = nowMs();
        const { count } = await follow(long);
        rates.push(count / ((nowMs() - started) / 1000));
      }
      console.log(`    ${name.padEnd(30)} ${Math.round(pct(rates, 50))} chunks/s`);
    }
  } finally {
    await Promise.all(wsOpen.map((c) => c.dispose()));
    await stack.stop();
    await provider.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
