import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

describe('the processor in a process of its own (node --import tsx, as in production)', () => {
  it('loads its TypeScript worker, and stop() resolves before the process may exit', async () => {
    const script = path.join(__dirname, '../fixtures/stopScript.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      cwd: path.join(__dirname, '../../../..'),
    });
    expect(stdout).toBe('processed "Hello." stopped\n');
  });
});

/** Pids of live processes whose environment holds `marker` (Linux /proc). */
function processesMarked(marker: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('a sandbox worker whose service died', () => {
  it('kills itself, even in the middle of a file that takes minutes', async () => {
    const marker = `CHATGRAPH_ORPHAN_TEST=${randomUUID()}`;
    const script = path.join(__dirname, '../fixtures/crashScript.ts');
    const [name = '', value = ''] = marker.split('=');
    const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      cwd: path.join(__dirname, '../../../..'),
      env: { ...process.env, [name]: value },
    }).catch((error: { code?: number; stdout?: string }) => error);
    expect(run.stdout).toBe('worker started\n');
    // The watchdog checks twice a second; poll (a count, not a duration) until the orphan is gone.
    let orphans = processesMarked(marker);
    for (let attempt = 0; attempt < 40 && orphans.length > 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      orphans = processesMarked(marker);
    }
    for (const pid of orphans) process.kill(pid, 'SIGKILL');
    expect(orphans).toEqual([]);
  });
});
