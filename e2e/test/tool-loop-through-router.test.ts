/**
 * The tool loop scenario (toolLoopScenario.ts) on the one-process stack behind `pnpm start`: every
 * subgraph with embedded stores and one shared bus, the router composed from them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { startFakeOpenAI, type FakeOpenAI } from '../../subgraphs/ai-gateway/test/support/fakeOpenAI';
import { describeToolLoopScenario, fakeToolCatalog } from './toolLoopScenario';

let stack: EmbeddedStack;
let dataDir: string;
let fake: FakeOpenAI;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-tool-loop-'));
  fake = await startFakeOpenAI();
  const catalogFile = path.join(dataDir, 'catalog.json');
  writeFileSync(catalogFile, JSON.stringify(fakeToolCatalog(fake.baseURL)));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'silent',
    RATE_LIMITS: 'off',
    DEMO_TOKEN_INTERVAL_MS: '0',
    MODEL_CATALOG_FILE: catalogFile,
  });
}, 120_000);

afterAll(async () => {
  await stack.stop();
  await fake?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describeToolLoopScenario('embedded', { url: () => stack.url, tries: 400, fake: () => fake });
