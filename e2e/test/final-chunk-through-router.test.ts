/**
 * The final stream chunk on the one-process stack behind `pnpm start`, through the router, as
 * Apollo Client's normalized cache sees it over 100 consecutive turns (and one stopped turn).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { describeFinalChunk } from './finalChunkScenarios';

let stack: EmbeddedStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-final-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  // 10 ms a token: a turn takes a few hundred ms, and a stop after the first delta lands mid-answer.
  // 100 turns back to back: more than the `messages` rate limit (40 a minute per user) allows.
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'silent',
    DEMO_TOKEN_INTERVAL_MS: '10',
    RATE_LIMITS: 'off',
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

jest.setTimeout(240_000);

describeFinalChunk('embedded', () => ({
  routerUrl: () => stack.url,
  streamingUrls: () => [stack.streaming.url],
  turns: 100,
  turnsPerConversation: 10,
  timeoutMs: 10_000,
}));
