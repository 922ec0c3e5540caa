/**
 * A catalog file that breaks the catalog's schema refuses ai-gateway's start (exit code 1) with
 * a readable message naming the file and every bad field, before any store, bus or kv is opened.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.join(__dirname, '..', '..', '..');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ai-gateway-catalog-refusal-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'subgraphs/ai-gateway/src/main.ts')], {
    cwd: root,
    // Port 0 and a private data directory: should the catalog be accepted, nothing shared is touched.
    env: { PATH: process.env.PATH ?? '', INTERNAL_SIGNING_SECRET: 'x'.repeat(32), AI_GATEWAY_PORT: '0', DATA_DIR: dir, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

it('refuses to start on a catalog with bad fields, listing each with its path and the rule it breaks', async () => {
  const file = path.join(dir, 'catalog.yaml');
  await writeFile(
    file,
    [
      'providers:',
      '  - { id: openai, kind: openai, timeoutMs: 5 }',
      'models:',
      '  - { id: m, displayName: "  ", contextWindow: 100.5, capabilities: [chat, smell] }',
      'routes:',
      '  m: [{ provider: openai, model: x, colour: red }]',
    ].join('\n'),
  );
  const { code, stderr } = await start({ MODEL_CATALOG_FILE: file });
  expect(code).toBe(1);
  expect(stderr).toContain(`Invalid model catalog ${file}:`);
  expect(stderr).toContain('- providers[0].timeoutMs: must be an integer from 100 to 3600000');
  expect(stderr).toContain('- models[0].displayName: must be a non-empty string of at most 200 characters');
  expect(stderr).toContain('- models[0].contextWindow: must be an integer from 256 to 10000000');
  expect(stderr).toContain('- models[0].capabilities[1]: must be one of chat, vision, embeddings, tools');
  expect(stderr).toContain('- routes.m[0].colour: is not a known field (expected one of provider, model, priority, weight)');
  expect(stderr).not.toMatch(/ZodError|at .*\.ts:\d+/);
  // A child process starting tsx on a loaded machine: more than the default 30 s allowed.
}, 90_000);
