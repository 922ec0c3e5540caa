/**
 * The MCP tools scenario (mcpToolsScenario.ts) in distributed mode: every service in its own
 * process on FerretDB, Kafka and Redis; ai-gateway reads a caller's role for the ADMIN-only server
 * from identity's principal directory in Redis.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { McpTestServer } from '../../subgraphs/ai-gateway/test/mcpTestServer';
import { startFakeOpenAI, type FakeOpenAI } from '../../subgraphs/ai-gateway/test/support/fakeOpenAI';
import { startTestStack, type TestStack } from './distributedStack';
import { describeMcpTools, mcpServersEnv } from './mcpToolsScenario';
import { fakeToolCatalog } from './toolLoopScenario';

let running: TestStack;
let fake: FakeOpenAI;
let catalogDir: string;
const calc = new McpTestServer();
const admin = new McpTestServer();

beforeAll(async () => {
  fake = await startFakeOpenAI();
  catalogDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-mcp-catalog-'));
  const catalogFile = path.join(catalogDir, 'catalog.json');
  writeFileSync(catalogFile, JSON.stringify(fakeToolCatalog(fake.baseURL)));
  running = await startTestStack('mcp-tools', {
    env: {
      RATE_LIMITS: 'off',
      MODEL_CATALOG_FILE: catalogFile,
      MCP_SERVERS: mcpServersEnv(await calc.start(), await admin.start()),
      MCP_MAX_RESULT_BYTES: '2000',
    },
  });
}, 240_000);

afterAll(async () => {
  await running?.dispose();
  await fake?.close();
  await calc.stop();
  await admin.stop();
  rmSync(catalogDir, { recursive: true, force: true });
}, 60_000);

describeMcpTools('distributed', { url: () => running.stack.url, fake: () => fake, calc, admin, tries: 2400 });
