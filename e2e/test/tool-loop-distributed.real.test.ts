/**
 * The tool loop scenario (toolLoopScenario.ts) in distributed mode: every service in its own
 * process on FerretDB, Kafka and Redis (MONGO_URL, KAFKA_BROKERS, REDIS_URL), driven through the
 * router; `file.chunked` reaches ai-gateway's chunk index through Kafka.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeOpenAI, type FakeOpenAI } from '../../subgraphs/ai-gateway/test/support/fakeOpenAI';
import { describeToolLoopScenario, fakeToolCatalog } from './toolLoopScenario';
import { startTestStack, type TestStack } from './distributedStack';

let running: TestStack;
let fake: FakeOpenAI;
let catalogDir: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  catalogDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-tool-loop-catalog-'));
  const catalogFile = path.join(catalogDir, 'catalog.json');
  writeFileSync(catalogFile, JSON.stringify(fakeToolCatalog(fake.baseURL)));
  running = await startTestStack('tool-loop-distributed', {
    env: { RATE_LIMITS: 'off', DEMO_TOKEN_INTERVAL_MS: '0', MODEL_CATALOG_FILE: catalogFile },
  });
}, 240_000);

afterAll(async () => {
  await running?.dispose();
  await fake?.close();
  rmSync(catalogDir, { recursive: true, force: true });
}, 60_000);

describeToolLoopScenario('distributed', { url: () => running.stack.url, tries: 2400, fake: () => fake });
