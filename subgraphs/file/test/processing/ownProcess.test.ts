import { execFile } from 'node:child_process';
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
