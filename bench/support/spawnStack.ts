import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface BenchStack {
  url: string;
  identityUrl: string;
  secret: string;
  /** The processes serving the stack, by role, for CPU accounting. */
  pids: Record<string, number>;
  stop(): Promise<void>;
}

const root = path.join(__dirname, '..', '..');

function run(script: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, script)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${base} never became ready`);
}

/** Embedded mode: router and subgraphs in one child process (`pnpm start`'s launcher). */
export async function spawnEmbedded(): Promise<BenchStack> {
  const child = run('bench/support/stack.ts');
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`stack exited with ${code}`)));
  });
  const info = JSON.parse(first) as Omit<BenchStack, 'stop'>;
  return { ...info, pids: { 'router+subgraphs': child.pid ?? 0 }, stop: () => stopChild(child) };
}

/** Distributed mode: identity and the router each in their own process, as deployed. */
export async function spawnDistributed(): Promise<BenchStack> {
  const secret = randomBytes(32).toString('base64url');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-bench-'));
  const identityPort = 20000 + Math.floor(Math.random() * 20000);
  const routerPort = identityPort + 1;
  const identityUrl = `http://127.0.0.1:${identityPort}`;
  const identity = run('subgraphs/identity/src/main.ts', {
    INTERNAL_SIGNING_SECRET: secret,
    IDENTITY_PORT: String(identityPort),
    DATA_DIR: dataDir,
  });
  await waitReady(identityUrl, identity);
  const router = run('router/src/main.ts', {
    INTERNAL_SIGNING_SECRET: secret,
    ROUTER_PORT: String(routerPort),
    IDENTITY_URL: identityUrl,
    SUBGRAPH_URLS: `identity=${identityUrl}/graphql`,
  });
  try {
    await waitReady(`http://127.0.0.1:${routerPort}`, router);
  } catch (err) {
    await Promise.all([stopChild(router), stopChild(identity)]);
    throw err;
  }
  return {
    url: `http://127.0.0.1:${routerPort}/graphql`,
    identityUrl,
    secret,
    pids: { router: router.pid ?? 0, identity: identity.pid ?? 0 },
    stop: async () => {
      await stopChild(router);
      await stopChild(identity);
    },
  };
}

export async function graphql<T>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (!body.data || body.errors) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data;
}
