import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/**
 * Distributed mode on one machine without Docker: every service in its own process against the
 * real servers started by scripts/infra (MongoDB-compatible, Kafka, Redis), the router composing
 * the supergraph from the running subgraphs. Used by `pnpm start:distributed` and by the
 * end-to-end tests of that mode. Several routers and streaming instances can run at once: router
 * `i` routes subscriptions to streaming instance `i mod n`, so a test can watch one token stream
 * through two routers and two streaming instances.
 */
export interface DistributedOptions {
  /** One router per port (the first is `url`). */
  routerPorts: number[];
  identityPort: number;
  conversationPort: number;
  aiGatewayPort: number;
  /** One streaming instance per port. */
  streamingPorts: number[];
  /** rate-limit's port (credits and usage); default 4009. */
  rateLimitPort?: number;
  mongoUrl: string;
  /** Comma-separated `host:port` list of the Kafka brokers the services' events go through. */
  kafkaBrokers: string;
  /** Redis for token streams, the stop channel and caches. */
  redisUrl: string;
  /** Each service's database is `<prefix><service>`; tests pass a unique prefix. */
  mongoDbPrefix?: string;
  /** Prefix of every Redis key; tests pass a unique one. */
  redisKeyPrefix?: string;
  /** Prefix of every Kafka topic and consumer group; tests pass a unique one so no run reads another's events. */
  kafkaNamespace?: string;
  dataDir: string;
  logLevel?: string;
  /** Extra environment for every service (argon2 cost in tests, the model catalog, ...). */
  env?: NodeJS.ProcessEnv;
  /** Where service output goes; defaults to this process's stdout/stderr. */
  stdio?: 'inherit' | 'ignore';
  /** Run ai-gateway (default true). Tests that play ai-gateway themselves on Kafka turn it off. */
  aiGateway?: boolean;
}

export interface DistributedStack {
  /** The first router's `/graphql` URL. */
  url: string;
  /** Every router's `/graphql` URL. */
  routerUrls: string[];
  identityUrl: string;
  conversationUrl: string;
  aiGatewayUrl: string;
  streamingUrls: string[];
  rateLimitUrl: string;
  /** Each service's process, by name (`router-0`, `streaming-1`, ...). */
  processes: Record<string, ChildProcess>;
  /**
   * Starts the named service again with the environment it had (after it was killed, e.g. by a
   * fault-injection test); resolves when it is ready. Stops it first if it still runs.
   */
  restart(name: string): Promise<void>;
  stop(): Promise<void>;
}

const root = path.join(__dirname, '..', '..');

function service(script: string, env: NodeJS.ProcessEnv, stdio: 'inherit' | 'ignore'): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, script)], { cwd: root, env, stdio: ['ignore', stdio, stdio] });
}

async function waitReady(base: string, child: ChildProcess, name: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} at ${base} did not become ready`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const local = (port: number): string => `http://127.0.0.1:${port}`;

/** Starts the subgraphs, then the routers; resolves when every router is ready. */
export async function startDistributed(options: DistributedOptions): Promise<DistributedStack> {
  const secret = randomBytes(32).toString('base64url');
  const stdio = options.stdio ?? 'inherit';
  const common: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    INTERNAL_SIGNING_SECRET: secret,
    LOG_LEVEL: options.logLevel ?? 'info',
    DATA_DIR: options.dataDir,
    DOCUMENT_STORE: 'mongodb',
    MONGO_URL: options.mongoUrl,
    MONGO_DB_PREFIX: options.mongoDbPrefix ?? 'chatgraph_',
    // Services share facts through Kafka and tokens through Redis, never the embedded adapters.
    EVENT_BUS: 'kafka',
    KAFKA_BROKERS: options.kafkaBrokers,
    KAFKA_NAMESPACE: options.kafkaNamespace ?? '',
    KV_STORE: 'redis',
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: options.redisKeyPrefix ?? 'chatgraph:',
  };
  const identityUrl = local(options.identityPort);
  const conversationUrl = local(options.conversationPort);
  const aiGatewayUrl = local(options.aiGatewayPort);
  const streamingUrls = options.streamingPorts.map(local);
  const rateLimitPort = options.rateLimitPort ?? 4009;
  const rateLimitUrl = local(rateLimitPort);
  const routerUrls = options.routerPorts.map(local);
  const processes: Record<string, ChildProcess> = {};
  // Started in this order, stopped in reverse: routers first so clients are drained before the
  // services behind them go.
  const order: string[] = [];
  const stop = async (): Promise<void> => {
    for (const name of [...order].reverse()) {
      const child = processes[name];
      if (child) await stopProcess(child);
    }
  };
  const launches = new Map<string, { script: string; base: string; env: NodeJS.ProcessEnv }>();
  const run = async (name: string, script: string, base: string, env: NodeJS.ProcessEnv): Promise<void> => {
    order.push(name);
    launches.set(name, { script, base, env: { ...common, ...env } });
    processes[name] = service(script, { ...common, ...env }, stdio);
    await waitReady(base, processes[name], name);
  };
  const restart = async (name: string): Promise<void> => {
    const launch = launches.get(name);
    const child = processes[name];
    if (!launch || !child) throw new Error(`no service named ${name}`);
    await stopProcess(child);
    processes[name] = service(launch.script, launch.env, stdio);
    await waitReady(launch.base, processes[name], name);
  };

  try {
    await run('identity', 'subgraphs/identity/src/main.ts', identityUrl, { IDENTITY_PORT: String(options.identityPort) });
    await run('conversation', 'subgraphs/conversation/src/main.ts', conversationUrl, { CONVERSATION_PORT: String(options.conversationPort) });
    const withAiGateway = options.aiGateway ?? true;
    if (withAiGateway) await run('ai-gateway', 'subgraphs/ai-gateway/src/main.ts', aiGatewayUrl, { AI_GATEWAY_PORT: String(options.aiGatewayPort) });
    for (const [i, port] of options.streamingPorts.entries()) {
      await run(`streaming-${i}`, 'subgraphs/streaming/src/main.ts', local(port), { STREAMING_PORT: String(port) });
    }
    await run('rate-limit', 'subgraphs/rate-limit/src/main.ts', rateLimitUrl, { RATE_LIMIT_PORT: String(rateLimitPort) });
    for (const [i, port] of options.routerPorts.entries()) {
      const streamingUrl = streamingUrls[i % streamingUrls.length];
      const subgraphs = { identity: identityUrl, conversation: conversationUrl, ...(withAiGateway ? { 'ai-gateway': aiGatewayUrl } : {}), streaming: streamingUrl, 'rate-limit': rateLimitUrl };
      await run(`router-${i}`, 'router/src/main.ts', local(port), {
        ROUTER_PORT: String(port),
        IDENTITY_URL: identityUrl,
        SUBGRAPH_URLS: Object.entries(subgraphs)
          .map(([name, base]) => `${name}=${base}/graphql`)
          .join(','),
      });
    }
    return { url: `${routerUrls[0]}/graphql`, routerUrls: routerUrls.map((u) => `${u}/graphql`), identityUrl, conversationUrl, aiGatewayUrl, streamingUrls, rateLimitUrl, processes, restart, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
