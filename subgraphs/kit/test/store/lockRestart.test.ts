import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { removeDir, tempDataDir } from './helpers';

/**
 * A container restarted after `kill -9` runs with the same pid as its previous life. Reproduced
 * with a pid namespace (`unshare --pid`, root as in the CI container): the child is pid 1 both
 * times, like a container's entry point. The second start must take over the locks of the store
 * and the event bus that the killed one left, instead of seeing "pid 1 is alive" and refusing.
 */

const workspaceRoot = resolve(__dirname, '../../../..');
const childScript = join(__dirname, 'lockRestartChild.ts');

interface Run {
  /** Resolves with the first stdout line. */
  firstLine: Promise<string>;
  exited: Promise<{ code: number | null; stderr: string }>;
  kill(): void;
}

function runAsPid1(dataDir: string, mode: 'hold' | 'once'): Run {
  // --kill-child: SIGKILL the namespace's pid 1 when unshare itself is killed.
  const child = spawn(
    'unshare',
    ['--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, '--import', 'tsx', childScript, dataDir, mode],
    {
      cwd: workspaceRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const firstLine = new Promise<string>((resolveLine, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n');
      if (line.length > 1) resolveLine(line[0] ?? '');
    });
    child.once('close', () => reject(new Error(`exited before printing: ${stderr}`)));
  });
  firstLine.catch(() => undefined);
  const exited = new Promise<{ code: number | null; stderr: string }>((resolveExit) =>
    child.once('close', (code) => resolveExit({ code, stderr })),
  );
  return { firstLine, exited, kill: () => child.kill('SIGKILL') };
}

describe('container-style restart with the same pid after kill -9', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDataDir();
  });
  afterEach(() => removeDir(dir));

  it('takes over the store and event-bus locks its previous life left', async () => {
    const first = runAsPid1(dir, 'hold');
    expect(await first.firstLine).toBe('ready 1');
    first.kill();
    await first.exited;

    const second = runAsPid1(dir, 'once');
    const { code, stderr } = await second.exited;
    expect(stderr).not.toMatch(/in use by process/);
    expect(code).toBe(0);
    expect(await second.firstLine).toBe('ready 1');
  });
});
