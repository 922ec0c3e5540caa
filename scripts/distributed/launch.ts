import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/**
 * Distributed mode on one machine without Docker: every service in its own process against the
 * real servers started by scripts/infra (MongoDB-compatible, Kafka, Redis, Elasticsearch), the
 * router composing the supergraph from the running subgraphs. Used by `pnpm start:distributed`
 * and by the end-to-end test of that mode.
 */
export interface DistributedOptions {
  routerPort: number;
  identityPort: number;
  conversationPort: number;
  mongoUrl: string;
  /** Comma-separated `host:port` list of the Kafka brokers conversation's events go through. */
  kafkaBrokers: string;
  /** Each service's database is `<prefix><service>`; tests pass a unique prefix. */
  mongoDbPrefix?: string;
  dataDir: string;
  logLevel?: string;
  /** Extra environment for every service (argon2 cost in tests, ...). */
  env?: NodeJS.ProcessEnv;
  /** Where service output goes; defaults to this process's stdout/stderr. */
  stdio?: 'inherit' | 'ignore';
}

export interface DistributedStack {
  url: string;
  identityUrl: string;
  conversationUrl: string;
  /** Each service's process, by name. */
  processes: Record<string, ChildProcess>;
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

/** Starts identity, then conversation, then the router; resolves when the router is ready. */
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
  };
  const identityUrl = `http://127.0.0.1:${options.identityPort}`;
  const conversationUrl = `http://127.0.0.1:${options.conversationPort}`;
  const processes: Record<string, ChildProcess> = {};
  const stop = async (): Promise<void> => {
    // Router first so clients are drained before the services behind it go; conversation before
    // identity because the router's queries join conversation's entities to identity's users.
    for (const name of ['router', 'conversation', 'identity']) {
      const child = processes[name];
      if (child) await stopProcess(child);
    }
  };
  try {
    processes.identity = service('subgraphs/identity/src/main.ts', { ...common, IDENTITY_PORT: String(options.identityPort) }, stdio);
    await waitReady(identityUrl, processes.identity, 'identity');
    // Conversation's outbox and its generation-result consumer need a bus shared across
    // processes (ai-gateway lives elsewhere), so Kafka here, never the embedded bus.
    processes.conversation = service(
      'subgraphs/conversation/src/main.ts',
      { ...common, CONVERSATION_PORT: String(options.conversationPort), EVENT_BUS: 'kafka', KAFKA_BROKERS: options.kafkaBrokers },
      stdio,
    );
    await waitReady(conversationUrl, processes.conversation, 'conversation');
    processes.router = service(
      'router/src/main.ts',
      {
        ...common,
        ROUTER_PORT: String(options.routerPort),
        IDENTITY_URL: identityUrl,
        SUBGRAPH_URLS: `identity=${identityUrl}/graphql,conversation=${conversationUrl}/graphql`,
      },
      stdio,
    );
    const routerBase = `http://127.0.0.1:${options.routerPort}`;
    await waitReady(routerBase, processes.router, 'router');
    return { url: `${routerBase}/graphql`, identityUrl, conversationUrl, processes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
