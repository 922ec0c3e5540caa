import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/**
 * The router alone in its own process, for `bench:file-upload`'s memory figures: `router/src/main.ts`
 * (the production entry) composed from the subgraphs of a stack running in another process, so the
 * RSS sampled is the router's and nothing else's (file, its blob store and the other subgraphs are
 * in the other process; the client in a third).
 */
export interface RouterChild {
  /** The child router's origin (`http://127.0.0.1:<port>`): upload URLs point at it. */
  origin: string;
  pid: number;
  /** The child's resident set size now, in bytes (Linux `/proc/<pid>/status`). */
  rss(): number;
  stop(): Promise<void>;
}

/** A free loopback port (the router's entry prints nothing, so its port is chosen here). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** VmRSS of `pid`, in bytes. */
export function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * Starts the production router in a child process, composed from `subgraphUrls` (`name=<url>/graphql`
 * entries), signed with `signingSecret`, rate limits off; resolves once it answers `/readyz`.
 */
export async function startRouterChild(subgraphUrls: string, identityUrl: string, signingSecret: string): Promise<RouterChild> {
  const port = await freePort();
  const root = path.join(__dirname, '..');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'router/src/main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      ROUTER_PORT: String(port),
      ROUTER_HOST: '127.0.0.1',
      SUBGRAPH_URLS: subgraphUrls,
      IDENTITY_URL: identityUrl,
      INTERNAL_SIGNING_SECRET: signingSecret,
      RATE_LIMITS: 'off',
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const origin = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`the router exited with ${child.exitCode}`);
    const ok = await fetch(`${origin}/readyz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) break;
    if (attempt > 600) throw new Error('the router did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const pid = child.pid ?? 0;
  return {
    origin,
    pid,
    rss: () => rssOf(pid),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
