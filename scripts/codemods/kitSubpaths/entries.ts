import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** The root specifier; it serves the core entry (src/core.ts). */
export const KIT_ROOT = '@chatgraph/kit';

/** One entry of the kit: its sub-path (`''` for the root/core, `'store'`...) and the names it exports. */
export interface KitEntry {
  subpath: string;
  names: ReadonlySet<string>;
}

/** Which entry exports each name, in the order entries are written (core first, then package.json order). */
export interface KitEntries {
  /** Entries in output order. */
  entries: readonly KitEntry[];
  /** name -> entry sub-path. */
  byName: ReadonlyMap<string, string>;
}

/**
 * Reads the kit's entries from its package.json `exports` and asks the TypeScript checker what
 * each exports (types included, `export *` followed). The root `.` is read from src/core.ts:
 * while the transitional root barrel still re-exports every port, only the core belongs there.
 */
export function readKitEntries(kitDir: string): KitEntries {
  const manifest = JSON.parse(readFileSync(path.join(kitDir, 'package.json'), 'utf8')) as { exports?: Record<string, string> };
  const files = new Map<string, string>();
  for (const [key, target] of Object.entries(manifest.exports ?? {})) {
    if (!target.endsWith('.ts')) continue;
    const subpath = key === '.' ? '' : key.replace(/^\.\//, '');
    files.set(subpath, path.resolve(kitDir, subpath === '' ? 'src/core.ts' : target));
  }
  if (!files.has('')) throw new Error(`${kitDir}/package.json has no "." export`);
  const program = ts.createProgram([...files.values()], {
    noEmit: true,
    skipLibCheck: true,
    strict: true,
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    types: [],
  });
  const checker = program.getTypeChecker();
  const entries: KitEntry[] = [];
  const byName = new Map<string, string>();
  for (const [subpath, file] of files) {
    const source = program.getSourceFile(file);
    const symbol = source && checker.getSymbolAtLocation(source);
    if (!symbol) throw new Error(`cannot read the exports of ${file}`);
    const names = new Set(checker.getExportsOfModule(symbol).map((s) => s.getName()));
    for (const name of names) {
      const other = byName.get(name);
      // Each name must have one home, or the rewrite would have to guess.
      if (other !== undefined) throw new Error(`'${name}' is exported by two kit entries: '${other || '.'}' and '${subpath || '.'}'`);
      byName.set(name, subpath);
    }
    entries.push({ subpath, names });
  }
  entries.sort((a, b) => (a.subpath === '' ? -1 : b.subpath === '' ? 1 : 0));
  return { entries, byName };
}
