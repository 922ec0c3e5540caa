/**
 * How long a revocation takes to reach a credential in use, through the router of the
 * one-process stack (`pnpm start`) with its default settings, as a client sees it:
 *
 * - logoutEverywhere -> the access token refused on HTTP, and a graphql-ws socket opened with it
 *   before the logout closed by the router;
 * - revokeApiKey -> the same for an API key.
 *
 * Each is timed from the mutation's answer, `ROUNDS` times (median and max printed). A socket
 * still open after `BOUND_MS` counts as "never" (before principal checks, an open socket outlived
 * every revocation).
 *
 *   pnpm bench:revocation
 *   ROUNDS=10 BOUND_MS=30000 pnpm bench:revocation
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const BOUND_MS = Number(process.env.BOUND_MS ?? 20_000);
const password = 'benchmark password 1';

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: Array<{ extensions?: { code?: string } }>;
}

async function gql(url: string, token: string | undefined, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Answer;
}

async function data<T>(answer: Promise<Answer>): Promise<T> {
  const a = await answer;
  if (a.errors?.length) throw new Error(JSON.stringify(a.errors));
  return a.data as T;
}

/** Opens an authenticated socket; resolves with a promise of the time (ms since epoch) it closes. */
async function openSocket(url: string, token: string): Promise<{ closedAt: Promise<number>; close(): void }> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const closedAt = new Promise<number>((resolve) => ws.once('close', () => resolve(Date.now())));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    ws.on('message', (raw) => {
      if ((JSON.parse(String(raw)) as { type?: string }).type === 'connection_ack') resolve();
    });
    ws.once('error', reject);
  });
  return { closedAt, close: () => ws.terminate() };
}

/** Time from `since` until `refused()` is true (polled every 20 ms), or Infinity past the bound. */
async function untilRefused(since: number, refused: () => Promise<boolean>): Promise<number> {
  while (Date.now() - since < BOUND_MS) {
    if (await refused()) return Date.now() - since;
    await new Promise((r) => setTimeout(r, 20));
  }
  return Number.POSITIVE_INFINITY;
}

async function socketClosedAfter(since: number, closedAt: Promise<number>): Promise<number> {
  const bound = new Promise<number>((resolve) =>
    setTimeout(() => resolve(Number.POSITIVE_INFINITY), Math.max(0, since + BOUND_MS - Date.now())).unref(),
  );
  const at = await Promise.race([closedAt, bound]);
  return at === Number.POSITIVE_INFINITY ? at : at - since;
}

interface Sample {
  http: number;
  socket: number;
}

async function logoutEverywhereRound(stack: EmbeddedStack, email: string): Promise<Sample> {
  const { login } = await data<{ login: { accessToken: string } }>(
    gql(stack.url, undefined, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email, password } }),
  );
  const socket = await openSocket(stack.url, login.accessToken);
  await data(gql(stack.url, login.accessToken, 'mutation { logoutEverywhere }'));
  const since = Date.now();
  const [http, closed] = await Promise.all([
    untilRefused(
      since,
      async () => (await gql(stack.url, login.accessToken, '{ me { id } }')).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED',
    ),
    socketClosedAfter(since, socket.closedAt),
  ]);
  socket.close();
  return { http, socket: closed };
}

async function apiKeyRound(stack: EmbeddedStack, email: string, round: number): Promise<Sample> {
  const { login } = await data<{ login: { accessToken: string } }>(
    gql(stack.url, undefined, 'mutation($i: LoginInput!) { login(input: $i) { accessToken } }', { i: { email, password } }),
  );
  const { createApiKey } = await data<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
    gql(stack.url, login.accessToken, 'mutation($n: String!) { createApiKey(input: { name: $n }) { secret apiKey { id } } }', {
      n: `bench-${round}`,
    }),
  );
  const socket = await openSocket(stack.url, createApiKey.secret);
  await data(
    gql(stack.url, login.accessToken, 'mutation($id: ID!) { revokeApiKey(id: $id) { revokedApiKeyId } }', { id: createApiKey.apiKey.id }),
  );
  const since = Date.now();
  const [http, closed] = await Promise.all([
    untilRefused(
      since,
      async () => (await gql(stack.url, createApiKey.secret, '{ me { id } }')).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED',
    ),
    socketClosedAfter(since, socket.closedAt),
  ]);
  socket.close();
  return { http, socket: closed };
}

const show = (values: number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? `never (> ${BOUND_MS} ms)` : `${v.toFixed(0)} ms`);
  return `median ${fmt(sorted[Math.floor(sorted.length / 2)])}, max ${fmt(sorted[sorted.length - 1])}`;
};

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-bench-revocation-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const stack = await startEmbedded(config, { ...process.env, ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent' });
  try {
    const email = 'revocation-bench@example.com';
    await data(
      gql(stack.url, undefined, 'mutation($i: RegisterInput!) { register(input: $i) { accessToken } }', {
        i: { email, password, name: 'Bench' },
      }),
    );
    const logout: Sample[] = [];
    const keys: Sample[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      logout.push(await logoutEverywhereRound(stack, email));
      keys.push(await apiKeyRound(stack, email, round));
    }
    process.stdout.write(`revocation -> refusal, ${ROUNDS} rounds, bound ${BOUND_MS} ms (router defaults)\n`);
    process.stdout.write(`  logoutEverywhere: HTTP ${show(logout.map((s) => s.http))}; open socket ${show(logout.map((s) => s.socket))}\n`);
    process.stdout.write(`  revokeApiKey:     HTTP ${show(keys.map((s) => s.http))}; open socket ${show(keys.map((s) => s.socket))}\n`);
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
