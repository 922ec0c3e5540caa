/**
 * Time to `NOT_FOUND` for a `messageStream` of an unknown stream id, through the router over
 * graphql-ws on the one-process stack with every default (STREAM_START_WAIT_MS included): the
 * time from `subscribe` to the error reaching the client. `ROUNDS` subscriptions (default 10) on one
 * graphql-ws connection, opened (and warmed up) beforehand so its setup is not counted, all at
 * once (so a run that waits costs one wait, not ROUNDS).
 *
 *   pnpm bench:stream-not-found            (ROUNDS=10)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded } from '@chatgraph/launcher';

const ROUNDS = Number(process.env.ROUNDS ?? 10);

async function register(url: string): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
      variables: { input: { email: `bench-${Date.now()}@notfound.test`, name: 'Bench', password: 'a perfectly fine passphrase' } },
    }),
  });
  const body = (await res.json()) as { data?: { register: { accessToken: string } } };
  const token = body.data?.register.accessToken;
  if (!token) throw new Error(`register failed: ${JSON.stringify(body)}`);
  return token;
}

/** Subscribes to an unknown stream; resolves with the ms until the subscription ended and how. */
function timeToEnd(client: Client, streamId: string): Promise<{ ms: number; code: string }> {
  const started = performance.now();
  return new Promise<{ ms: number; code: string }>((resolve) => {
    const end = (code: string): void => resolve({ ms: performance.now() - started, code });
    client.subscribe(
      { query: 'subscription($id: ID!) { messageStream(streamId: $id) { seq } }', variables: { id: streamId } },
      {
        next: (result) => end(String(result.errors?.[0]?.extensions?.code ?? 'DATA')),
        error: (error) => end(String((error as Array<{ extensions?: { code?: string } }>)[0]?.extensions?.code ?? error)),
        complete: () => end('COMPLETED'),
      },
    );
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-bench-notfound-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const stack = await startEmbedded(config, { ...process.env, LOG_LEVEL: 'warn' });
  try {
    const token = await register(stack.url);
    const client = createClient({
      url: stack.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: true,
    });
    // The warm-up opens the connection and plans the subscription once; it costs one answer too.
    const warmup = await timeToEnd(client, `warmup-${Date.now()}`);
    const results = await Promise.all(Array.from({ length: ROUNDS }, (_, i) => timeToEnd(client, `unknown-${Date.now()}-${i}`)));
    await client.dispose();
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    const codes = [...new Set(results.map((r) => r.code))].join(', ');
    console.log(`messageStream of an unknown streamId -> error, through the router (embedded, defaults), ${ROUNDS} at once:`);
    console.log(`  warm-up (connects first): ${warmup.ms.toFixed(1)} ms, ${warmup.code}`);
    console.log(`  codes: ${codes}`);
    console.log(`  median ${(ms[Math.floor(ms.length / 2)] ?? Number.NaN).toFixed(1)} ms, max ${(ms.at(-1) ?? Number.NaN).toFixed(1)} ms`);
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
