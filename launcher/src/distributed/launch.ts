import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { defaultPort } from '../descriptor';
import { SUBGRAPHS, type ListedSubgraph, type SubgraphName } from '../subgraphs';

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
  /**
   * Each subgraph's ports, one per instance: router `i` uses instance `i mod n` of each. A subgraph
   * left out runs once on its default port (its `<NAME>_PORT` default: identity 4001, ...).
   */
  subgraphPorts?: Partial<Record<SubgraphName, readonly number[]>>;
  /** Subgraphs not to run (tests that play ai-gateway themselves on Kafka leave it out). */
  without?: readonly SubgraphName[];
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
}

export interface DistributedStack {
  /** The first router's `/graphql` URL. */
  url: string;
  /** Every router's `/graphql` URL. */
  routerUrls: string[];
  /** Each running subgraph's instances' base URLs (`http://127.0.0.1:<port>`), by name. */
  subgraphUrls: Partial<Record<SubgraphName, string[]>>;
  /** Each service's process, by name (`identity`, `streaming-1` when a subgraph runs several, `router-0`, ...). */
  processes: Record<string, ChildProcess>;
  /**
   * Starts the named service again with the environment it had (after it was killed, e.g. by a
   * fault-injection test); resolves when it is ready. Stops it first if it still runs.
   */
  restart(name: string): Promise<void>;
  /** The secret the services sign with (generated per start): tests mint capabilities with it. */
  readonly signingSecret: string;
  stop(): Promise<void>;
}

const root = path.join(__dirname, '..', '..', '..');

/** The last stderr bytes each service wrote: a service that refuses to start says why there, and the launcher repeats it. */
const stderrTails = new WeakMap<ChildProcess, string>();
const STDERR_TAIL_BYTES = 4096;

function service(script: string, env: NodeJS.ProcessEnv, stdio: 'inherit' | 'ignore'): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env, stdio: ['ignore', stdio, 'pipe'] });
  stderrTails.set(child, '');
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stdio === 'inherit') process.stderr.write(chunk);
    stderrTails.set(child, ((stderrTails.get(child) ?? '') + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES));
  });
  return child;
}

/** Waits for the exit status and the last stderr line the process wrote (its refusal message). */
async function exitMessage(child: ChildProcess, name: string): Promise<string> {
  if (child.stderr && !child.stderr.closed) await new Promise((resolve) => child.stderr?.once('close', resolve));
  const lines = (stderrTails.get(child) ?? '').trim().split('\n');
  const last = lines[lines.length - 1]?.trim();
  return `${name} exited with code ${child.exitCode}${last ? `: ${last}` : ''}`;
}

/** How long a service may take to become ready (a restart on a loaded machine included). */
const READY_DEADLINE_MS = 90_000;
/** One `/readyz` request: a router's answer waits up to 2 s for its subgraphs' own. */
const READY_PROBE_TIMEOUT_MS = 5_000;

/**
 * Resolves once `base/readyz` answers 200. Every probe is bounded, and so is the wait: a service
 * that stays unready fails the start with its last answer (a router's names the subgraphs it waits
 * for), instead of leaving the caller waiting.
 */
async function waitReady(base: string, child: ChildProcess, name: string): Promise<void> {
  const deadline = Date.now() + READY_DEADLINE_MS;
  let last = 'not listening';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(await exitMessage(child, name));
    try {
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(READY_PROBE_TIMEOUT_MS) });
      if (res.ok) {
        await res.body?.cancel();
        return;
      }
      last = `${res.status} ${(await res.text()).slice(0, 500)}`;
    } catch (error) {
      last = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${READY_PROBE_TIMEOUT_MS} ms` : 'not listening';
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} at ${base} did not become ready within ${READY_DEADLINE_MS / 1000} s; last /readyz: ${last}`);
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
  const without = new Set<string>(options.without ?? []);
  const running = SUBGRAPHS.filter(({ name }) => !without.has(name));
  const portsOf = (descriptor: ListedSubgraph): readonly number[] => options.subgraphPorts?.[descriptor.name] ?? [defaultPort(descriptor)];
  const subgraphUrls: Partial<Record<SubgraphName, string[]>> = Object.fromEntries(
    running.map((descriptor) => [descriptor.name, portsOf(descriptor).map(local)]),
  );
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
    for (const descriptor of running) {
      const ports = portsOf(descriptor);
      for (const [i, port] of ports.entries()) {
        await run(ports.length > 1 ? `${descriptor.name}-${i}` : descriptor.name, descriptor.main, local(port), {
          [descriptor.portVariable]: String(port),
          // Upload and download URLs point at the router (the first one), unless the caller names a public origin.
          ...(descriptor.name === 'file' && !common.FILE_PUBLIC_URL && routerUrls[0] ? { FILE_PUBLIC_URL: routerUrls[0] } : {}),
        });
      }
    }
    const identityUrls = subgraphUrls.identity;
    for (const [i, port] of options.routerPorts.entries()) {
      const instance = (urls: readonly string[]): string => urls[i % urls.length] ?? '';
      await run(`router-${i}`, path.join(root, 'router/src/main.ts'), local(port), {
        ROUTER_PORT: String(port),
        ...(identityUrls ? { IDENTITY_URL: instance(identityUrls) } : {}),
        SUBGRAPH_URLS: Object.entries(subgraphUrls)
          .map(([name, urls]) => `${name}=${instance(urls ?? [])}/graphql`)
          .join(','),
      });
    }
    return {
      url: `${routerUrls[0]}/graphql`,
      routerUrls: routerUrls.map((u) => `${u}/graphql`),
      subgraphUrls,
      processes,
      restart,
      signingSecret: secret,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
