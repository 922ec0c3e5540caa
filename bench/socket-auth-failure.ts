/**
 * Time from an invalid token on a graphql-ws socket to the failure reaching the app, through the
 * router on the one-process stack, with the graphql-ws client's default options (its default
 * retry: 5 attempts, randomised exponential backoff). The client subscribes with a token the
 * router refuses; the figure is the time from `subscribe` to the sink's `error`, with the number
 * of connection attempts the client made and the close code it got.
 *
 *   pnpm bench:socket-auth-failure            (ROUNDS=3, run one after another)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded } from '@chatgraph/launcher';

const ROUNDS = Number(process.env.ROUNDS ?? 3);

/** One client with default options and a bad token: ms to its error, attempts, close code. */
function timeToError(url: string): Promise<{ ms: number; attempts: number; code: string }> {
  let attempts = 0;
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: 'Bearer not-a-valid-token' },
    on: { connecting: () => void attempts++ },
  });
  const started = performance.now();
  return new Promise((resolve) => {
    const end = (code: string): void => {
      void client.dispose();
      resolve({ ms: performance.now() - started, attempts, code });
    };
    client.subscribe(
      { query: 'subscription { messageStream(streamId: "bench") { seq } }' },
      {
        next: () => end('DATA'),
        error: (error) => end(String((error as { code?: number }).code ?? error)),
        complete: () => end('COMPLETED'),
      },
    );
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-bench-socketauth-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const stack = await startEmbedded(config, { ...process.env, LOG_LEVEL: 'warn' });
  try {
    console.log('invalid token on a graphql-ws socket -> client error, default client options (embedded):');
    for (let round = 1; round <= ROUNDS; round++) {
      const result = await timeToError(stack.url.replace(/^http/, 'ws'));
      console.log(`  round ${round}: ${result.ms.toFixed(0)} ms, ${result.attempts} connection attempt(s), close code ${result.code}`);
    }
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
