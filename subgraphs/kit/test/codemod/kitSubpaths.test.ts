import path from 'node:path';
import { readKitEntries, type KitEntries } from '../../../../scripts/codemods/kitSubpaths/entries';
import { rewriteKitImports } from '../../../../scripts/codemods/kitSubpaths/rewrite';

/**
 * The codemod that moves imports of the kit's root to its sub-path entries
 * (scripts/codemods/kit-subpaths.ts): what it rewrites, what it keeps word for word, what it
 * refuses to guess, and that a second run changes nothing.
 */

const kitDir = path.join(__dirname, '..', '..');
const kitSrc = path.join(kitDir, 'src');
const service = path.join(kitDir, '..', 'demo', 'src', 'service.ts');

const entries = (map: Record<string, string[]>): KitEntries => ({
  entries: Object.entries(map).map(([subpath, names]) => ({ subpath, names: new Set(names) })),
  byName: new Map(Object.entries(map).flatMap(([subpath, names]) => names.map((name) => [name, subpath] as const))),
});
const kit = entries({
  '': ['codedError', 'Logger', 'createLogger'],
  store: ['DocumentStore', 'createEmbeddedStore'],
  kv: ['KvStore', 'createEmbeddedKv'],
  events: ['EventBus'],
});

function rewrite(source: string, file = service): ReturnType<typeof rewriteKitImports> {
  const once = rewriteKitImports(source, file, kitSrc, kit);
  // Every case also proves the rewrite idempotent.
  expect(rewriteKitImports(once.text, file, kitSrc, kit).changed).toBe(false);
  return once;
}

describe('kit-subpaths codemod', () => {
  it('splits a root import by entry, core first, keeping aliases and inline type modifiers', () => {
    const out = rewrite(
      "import { createEmbeddedKv as kv, codedError, type DocumentStore, type Logger } from '@chatgraph/kit';\nconst x = 1;\n",
    );
    expect(out.text).toBe(
      "import { codedError, type Logger } from '@chatgraph/kit';\nimport type { DocumentStore } from '@chatgraph/kit/store';\nimport { createEmbeddedKv as kv } from '@chatgraph/kit/kv';\nconst x = 1;\n",
    );
    expect(out.problems).toEqual([]);
  });

  it('keeps import type, reads multi-line lists, and writes long ones one name per line', () => {
    const out = rewrite(`import type {\n  KvStore,\n  Logger,\n} from '@chatgraph/kit';\n`);
    expect(out.text).toBe("import type { Logger } from '@chatgraph/kit';\nimport type { KvStore } from '@chatgraph/kit/kv';\n");
    const many = entries({ '': [], store: Array.from({ length: 20 }, (_, i) => `storeThing${i}`) });
    const long = rewriteKitImports(
      `import { ${[...(many.entries[1]?.names ?? [])].join(', ')} } from '@chatgraph/kit';\n`,
      service,
      kitSrc,
      many,
    );
    expect(long.text.split('\n')[0]).toBe('import {');
    expect(long.text).toContain("  storeThing19,\n} from '@chatgraph/kit/store';");
    expect(rewriteKitImports(long.text, service, kitSrc, many).changed).toBe(false);
  });

  it('rewrites re-exports, type-only ones included', () => {
    const out = rewrite(
      "export { createEmbeddedStore, codedError } from '@chatgraph/kit';\nexport type { EventBus } from '@chatgraph/kit';\n",
    );
    expect(out.text).toBe(
      "export { codedError } from '@chatgraph/kit';\nexport { createEmbeddedStore } from '@chatgraph/kit/store';\nexport type { EventBus } from '@chatgraph/kit/events';\n",
    );
  });

  it('merges into a declaration already on the entry and drops one left empty', () => {
    const out = rewrite(
      "import { createEmbeddedStore } from '@chatgraph/kit/store';\nimport { type DocumentStore } from '@chatgraph/kit';\n",
    );
    expect(out.text).toBe("import { createEmbeddedStore, type DocumentStore } from '@chatgraph/kit/store';\n");
  });

  it('leaves a file importing only the core, or no root at all, word for word', () => {
    for (const source of [
      "import {codedError,createLogger} from '@chatgraph/kit' ;\n",
      "import { createEmbeddedKv } from '@chatgraph/kit/kv';\n",
      "import x from 'y';\n",
    ]) {
      expect(rewrite(source)).toEqual({ text: source, changed: false, problems: [], notes: [] });
    }
  });

  it("rewrites the kit's own relative imports of its root, inside the kit", () => {
    const test = path.join(kitDir, 'test', 'events', 'x.test.ts');
    const out = rewrite("import { createLogger, KvStore } from '../../src';\nimport { EventBus } from '../../src/index';\n", test);
    expect(out.text).toBe(
      "import { createLogger } from '../../src';\nimport { KvStore } from '../../src/kv';\nimport { EventBus } from '../../src/events';\n",
    );
  });

  it('refuses to guess: unknown names, export *, module calls are errors; namespace imports are notes', () => {
    const source = [
      "import { codedError, notAKitName } from '@chatgraph/kit';",
      "export * from '@chatgraph/kit';",
      "jest.mock('@chatgraph/kit');",
      "const lazy = () => import('@chatgraph/kit');",
      "import * as kitRoot from '@chatgraph/kit';",
      "const label = '@chatgraph/kit';",
      '',
    ].join('\n');
    const out = rewrite(source);
    expect(out.text).toBe(source);
    expect(out.problems.map((p) => p.replace(`${service}:`, ''))).toEqual([
      '1: left as is: no kit entry exports notAKitName',
      "2: left as is: export * (name the exports instead) of the kit's root",
      "3: left as is: '@chatgraph/kit' in jest.mock(...)",
      "4: left as is: '@chatgraph/kit' in import(...)",
    ]);
    expect(out.notes).toEqual([`${service}:5: left as is: a namespace import (import * as) of the kit's root`]);
  });

  it('reads the real entries from package.json exports, types included, the root from core.ts', () => {
    const real = readKitEntries(kitDir);
    expect(real.entries[0]?.subpath).toBe('');
    expect(real.byName.get('codedError')).toBe('');
    expect(real.byName.get('createEmbeddedStore')).toBe('store');
    expect(real.byName.get('KvStore')).toBe('kv');
    expect(real.byName.get('OutboxRelayOptions')).toBe('events');
    expect(real.byName.get('createMailer')).toBe('mail');
  });
});
