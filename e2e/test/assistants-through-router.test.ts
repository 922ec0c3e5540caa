/**
 * Assistants end to end on the one-process stack behind `pnpm start` (every subgraph with embedded
 * stores and one shared bus, the router composed from them): the scenario of assistants-scenario.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { assistantAssistantV1, type EventEnvelope } from '@chatgraph/schema';
import { describeAssistantsScenario } from './assistants-scenario';

let stack: EmbeddedStack;
let dataDir: string;
const events: EventEnvelope[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-assistants-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent', RATE_LIMITS: 'off' });
  await stack.bus.subscribe({
    groupId: 'e2e-assistant-events',
    topics: [assistantAssistantV1.topic],
    handler: async (delivery) => {
      events.push(delivery.event);
    },
  });
});

afterAll(async () => {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describeAssistantsScenario('embedded', { url: () => stack.url, events: () => events, tries: 400 });
