import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts } from '../distributedStack';

const root = path.join(__dirname, '..', '..', '..');

/** A Redis of this test file alone (scripts/infra/redis.sh on a free port, state in a temp dir): it is stopped mid-test. */
export interface PrivateRedis {
  url: string;
  down(): Promise<void>;
  up(): Promise<void>;
  dispose(): Promise<void>;
}

/** `appendOnly` false: a `down` + `up` loses everything, as a Redis without persistence does. */
export async function startPrivateRedis({ appendOnly = true }: { appendOnly?: boolean } = {}): Promise<PrivateRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'chatgraph-rl-redis-'));
  const [port] = (await freePorts(1)) as [number];
  const env = { ...process.env, CHATGRAPH_INFRA_DIR: dir, REDIS_PORT: String(port), REDIS_APPENDONLY: appendOnly ? 'yes' : 'no' };
  const run = (action: 'up' | 'down') =>
    new Promise<void>((resolve, reject) => {
      execFile('bash', [path.join(root, 'scripts/infra/redis.sh'), action], { env, timeout: 60_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`redis.sh ${action}: ${error.message}\n${stdout}\n${stderr}`));
        else resolve();
      });
    });
  await run('up');
  return {
    url: `redis://127.0.0.1:${port}`,
    down: () => run('down'),
    up: () => run('up'),
    async dispose() {
      await run('down').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
