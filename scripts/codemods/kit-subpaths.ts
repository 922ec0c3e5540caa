/**
 * Codemod: rewrites imports and re-exports of the kit's root (`@chatgraph/kit`, or inside the kit
 * a relative path to kit/src) into the sub-path entries that export each name
 * (`@chatgraph/kit/store`, `/events`, `/kv`, `/limits`, `/search`, `/blob`, `/mail`; the core
 * stays on the root). Idempotent: a second run changes nothing.
 *
 *   pnpm exec tsx scripts/codemods/kit-subpaths.ts [--check] [path...]
 *
 * Paths default to the whole repository (files git knows, tracked or not ignored). `--check`
 * writes nothing and exits 1 when a file would change. What it cannot split is left as it is and
 * listed: names no entry exports, `export *` of the root, the root named in `import()`,
 * `require()` or `jest.mock()` are errors (exit 1); namespace and default imports are notes
 * (they keep the core once the root loses the ports, and the compiler flags any port name used).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readKitEntries } from './kitSubpaths/entries';
import { rewriteKitImports } from './kitSubpaths/rewrite';

const args = process.argv.slice(2);
const check = args.includes('--check');
const paths = args.filter((a) => a !== '--check');
const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();
const kitDir = path.join(root, 'subgraphs', 'kit');
const kit = readKitEntries(kitDir);

const listed = execFileSync(
  'git',
  ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...(paths.length > 0 ? paths : ['.'])],
  { cwd: process.cwd(), encoding: 'utf8' },
);
const files = [...new Set(listed.split('\0'))]
  .filter((f) => /\.(ts|tsx|mts|cts)$/.test(f) && !f.includes('node_modules/'))
  .map((f) => path.resolve(process.cwd(), f));

let changed = 0;
const problems: string[] = [];
const notes: string[] = [];
for (const file of files) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // listed by git but deleted in the work tree
  }
  if (!text.includes('@chatgraph/kit') && !file.startsWith(kitDir + path.sep)) continue;
  const result = rewriteKitImports(text, file, path.join(kitDir, 'src'), kit);
  const shown = (message: string): string => message.replace(file, path.relative(root, file));
  problems.push(...result.problems.map(shown));
  notes.push(...result.notes.map(shown));
  if (!result.changed) continue;
  changed += 1;
  console.log(`${check ? 'would rewrite' : 'rewrote'} ${path.relative(root, file)}`);
  if (!check) writeFileSync(file, result.text);
}
for (const note of notes) console.log(`note: ${note}`);
for (const problem of problems) console.error(`error: ${problem}`);
console.log(
  `${files.length} files read, ${changed} ${check ? 'to rewrite' : 'rewritten'}, ${problems.length} errors, ${notes.length} notes`,
);
if (problems.length > 0 || (check && changed > 0)) process.exitCode = 1;
