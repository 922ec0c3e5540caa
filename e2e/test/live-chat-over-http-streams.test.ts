/**
 * Live chat over GraphQL over SSE and Apollo's multipart subscriptions on the one-process stack
 * behind `pnpm start` (the local demo model, paced so a test can reconnect mid-stream).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { describeHttpStreams } from './httpStreamScenarios';

const SOCKETS_PER_USER = 4;
let stack: EmbeddedStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-http-streams-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'silent',
    DEMO_TOKEN_INTERVAL_MS: '25',
    SUBSCRIPTION_SOCKETS_PER_USER: String(SOCKETS_PER_USER),
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describeHttpStreams(
  'embedded',
  () => ({ routerUrl: () => stack.url, timeoutMs: 10_000 }),
  () => ({ router: stack.router, socketsPerUser: SOCKETS_PER_USER }),
);
