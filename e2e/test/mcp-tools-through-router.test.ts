/**
 * The MCP tools scenario (mcpToolsScenario.ts) on the one-process stack behind `pnpm start`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { McpTestServer } from '../../subgraphs/ai-gateway/test/mcpTestServer';
import { startFakeOpenAI, type FakeOpenAI } from '../../subgraphs/ai-gateway/test/support/fakeOpenAI';
import { describeMcpTools, mcpServersEnv } from './mcpToolsScenario';
import { fakeToolCatalog } from './toolLoopScenario';

let stack: EmbeddedStack;
let dataDir: string;
let fake: FakeOpenAI;
const calc = new McpTestServer();
const admin = new McpTestServer();

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-mcp-'));
  fake = await startFakeOpenAI();
  const catalogFile = path.join(dataDir, 'catalog.json');
  writeFileSync(catalogFile, JSON.stringify(fakeToolCatalog(fake.baseURL)));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'silent',
    RATE_LIMITS: 'off',
    MODEL_CATALOG_FILE: catalogFile,
    MCP_SERVERS: mcpServersEnv(await calc.start(), await admin.start()),
    MCP_MAX_RESULT_BYTES: '2000',
  });
}, 120_000);

afterAll(async () => {
  await stack.stop();
  await fake?.close();
  await calc.stop();
  await admin.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describeMcpTools('embedded', { url: () => stack.url, fake: () => fake, calc, admin, tries: 400 });
