/**
 * Live chat on the one-process stack behind `pnpm start`: ai-gateway answers with the built-in
 * local demo model (paced so a test can stop or reconnect mid-stream), streaming serves the token
 * stream from the embedded key-value store, and the router federates the subscription.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { describeLiveChat } from './liveChatScenarios';

let stack: EmbeddedStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-live-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'silent',
    DEMO_TOKEN_INTERVAL_MS: '25',
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describeLiveChat('embedded', () => ({ routerUrls: () => [stack.url], timeoutMs: 10_000 }));
