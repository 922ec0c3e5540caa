/**
 * Starts the distributed stack (scripts/distributed/launch.ts) for an end-to-end test on the real
 * servers: MONGO_URL and KAFKA_BROKERS from the environment, defaulting to the ports CI's
 * scripts/infra servers use, random service ports, a database prefix unique to this test run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDistributed, type DistributedStack } from '../../scripts/distributed/launch';

export const MONGO_URL = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27027';
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

export interface TestStack {
  stack: DistributedStack;
  dispose(): Promise<void>;
}

export async function startTestStack(name: string): Promise<TestStack> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `chatgraph-${name}-`));
  const base = 30000 + Math.floor(Math.random() * 20000);
  const stack = await startDistributed({
    routerPort: base,
    identityPort: base + 1,
    conversationPort: base + 2,
    mongoUrl: MONGO_URL,
    kafkaBrokers: KAFKA_BROKERS,
    mongoDbPrefix: `e2e_${process.pid}_${Date.now()}_`,
    dataDir,
    logLevel: 'error',
    stdio: 'ignore',
    env: { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1' },
  });
  return {
    stack,
    async dispose() {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
