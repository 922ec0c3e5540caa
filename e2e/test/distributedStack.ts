/**
 * Starts the distributed stack (launcher/src/distributed/launch.ts) for an end-to-end test on the real
 * servers: MONGO_URL, KAFKA_BROKERS and REDIS_URL from the environment, defaulting to the ports CI's
 * scripts/infra servers use, random service ports, a database prefix unique to this test run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDistributed, SUBGRAPHS, type DistributedStack, type SubgraphName } from '@chatgraph/launcher';

export const MONGO_URL = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27027';
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6390';

export interface TestStackOptions {
  /** How many routers and streaming instances (default 1 each). */
  routers?: number;
  streamings?: number;
  /** How many instances of other subgraphs (default 1 each), e.g. `{ notification: 2 }`. */
  instances?: Partial<Record<SubgraphName, number>>;
  /** Extra environment for every service (e.g. the model catalog). */
  env?: NodeJS.ProcessEnv;
  /** Run ai-gateway (default true); tests that play it themselves turn it off. */
  aiGateway?: boolean;
  /** Servers of this stack's own (the fault-injection suite's private ones); default the CI servers above. */
  servers?: { mongoUrl: string; kafkaBrokers: string; redisUrl: string };
}

export interface TestStack {
  stack: DistributedStack;
  /** The Kafka namespace of this stack's topics: a test playing a service on Kafka uses it too. */
  kafkaNamespace: string;
  /** The prefix of this stack's Redis keys: a test reading or changing the kv uses it too. */
  redisKeyPrefix: string;
  dispose(): Promise<void>;
}

/** `count` distinct ports that were free a moment ago (all held open together, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    }),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

export async function startTestStack(name: string, options: TestStackOptions = {}): Promise<TestStack> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `chatgraph-${name}-`));
  const routers = options.routers ?? 1;
  const streamings = options.streamings ?? 1;
  // Ports the OS has just handed out as free: a random range could meet the ephemeral ports of
  // the Kafka, Redis and MongoDB clients running meanwhile.
  const countOf = (name: SubgraphName): number => (name === 'streaming' ? streamings : (options.instances?.[name] ?? 1));
  const ports = await freePorts(SUBGRAPHS.reduce((sum, { name }) => sum + countOf(name), routers));
  const take = (): number => {
    const port = ports.shift();
    if (port === undefined) throw new Error('out of ports');
    return port;
  };
  // E2E_SERVICE_LOGS=1 shows the services' warnings and errors (when a distributed test fails).
  const run = `e2e_${process.pid}_${Date.now()}_`;
  const stack = await startDistributed({
    routerPorts: Array.from({ length: routers }, take),
    // One port per instance of each listed subgraph (router i uses instance i mod n of each).
    subgraphPorts: Object.fromEntries(SUBGRAPHS.map(({ name }) => [name, Array.from({ length: countOf(name) }, take)])),
    mongoUrl: options.servers?.mongoUrl ?? MONGO_URL,
    kafkaBrokers: options.servers?.kafkaBrokers ?? KAFKA_BROKERS,
    redisUrl: options.servers?.redisUrl ?? REDIS_URL,
    mongoDbPrefix: run,
    redisKeyPrefix: `${run}:`,
    kafkaNamespace: `${run}.`,
    dataDir,
    logLevel: process.env.E2E_SERVICE_LOGS === '1' ? 'warn' : 'error',
    stdio: process.env.E2E_SERVICE_LOGS === '1' ? 'inherit' : 'ignore',
    without: options.aiGateway === false ? ['ai-gateway'] : [],
    env: { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', ...options.env },
  });
  return {
    stack,
    kafkaNamespace: `${run}.`,
    redisKeyPrefix: `${run}:`,
    async dispose() {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
