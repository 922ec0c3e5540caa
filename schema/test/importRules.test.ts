import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';

/**
 * The lint rules on imports: no module reaches itself again through its imports (`import-x/no-cycle`),
 * and every package a file imports is declared by its workspace package's package.json
 * (`import-x/no-extraneous-dependencies`).
 */
const root = path.join(__dirname, '..', '..');
// ESLint loads its config file with a dynamic import, which jest's module system refuses: hand it
// the same config array directly.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the config is CommonJS
const config = require(path.join(root, 'eslint.config.js')) as ESLint.Options['overrideConfig'];
const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: config });

// Resolving imports loads the TypeScript resolver once per process: slow on a loaded machine.
const LINT_TIMEOUT_MS = 120_000;

async function messagesOf(rule: string, file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === rule).map((m) => m.message);
}

describe('import cycles', () => {
  // A cycle needs modules on disk that import each other: a fresh folder inside the tree (the
  // config's globs are relative to it), removed afterwards.
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(__dirname, 'lint-probe-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, source: string): string => {
    writeFileSync(path.join(dir, name), source);
    return path.relative(root, path.join(dir, name));
  };

  it(
    'refuses modules that import each other, directly or through a third',
    async () => {
      write('b.ts', "import { a } from './a';\nexport const b = (): number => a + 1;\n");
      const a = write('a.ts', "import { c } from './c';\nexport const a = 1;\nexport const ac = c;\n");
      write('c.ts', "import { b } from './b';\nexport const c = b;\n");
      const found = await messagesOf('import-x/no-cycle', a, "import { c } from './c';\nexport const a = 1;\nexport const ac = c;\n");
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(/^Dependency cycle via "\.\/b:1"/);
    },
    LINT_TIMEOUT_MS,
  );

  it(
    'allows a chain without a way back, and cycles of type-only imports (they vanish at run time)',
    async () => {
      write('leaf.ts', 'export const leaf = 1;\n');
      const mid = write('mid.ts', "import { leaf } from './leaf';\nexport const mid = leaf + 1;\n");
      expect(await messagesOf('import-x/no-cycle', mid, "import { leaf } from './leaf';\nexport const mid = leaf + 1;\n")).toEqual([]);
      write('e.ts', "import type { D } from './d';\nexport type E = D | number;\n");
      const d = write('d.ts', "import type { E } from './e';\nexport type D = { e?: E };\n");
      expect(await messagesOf('import-x/no-cycle', d, "import type { E } from './e';\nexport type D = { e?: E };\n")).toEqual([]);
    },
    LINT_TIMEOUT_MS,
  );
});

describe('declared dependencies', () => {
  const rule = 'import-x/no-extraneous-dependencies';

  it(
    "refuses a package the file's own workspace package does not declare",
    async () => {
      // identity declares mongoose but not kafkajs (the kit's) nor @apollo/client (the root's, for tests).
      expect(
        await messagesOf(rule, 'subgraphs/identity/src/probe.ts', "import { Kafka } from 'kafkajs';\nexport { Kafka };\n"),
      ).toHaveLength(1);
      expect(
        await messagesOf(rule, 'subgraphs/identity/src/probe.ts', "import { gql } from '@apollo/client';\nexport { gql };\n"),
      ).toHaveLength(1);
      expect(await messagesOf(rule, 'bench/probe.ts', "import { Redis } from 'ioredis';\nexport { Redis };\n")).toHaveLength(1);
      expect(await messagesOf(rule, 'e2e/test/probe.test.ts', "import { Redis } from 'ioredis';\nexport { Redis };\n")).toHaveLength(1);
    },
    LINT_TIMEOUT_MS,
  );

  it(
    "allows declared packages, node's own modules, and the root's test tooling in tests",
    async () => {
      const source =
        "import { readFileSync } from 'node:fs';\nimport mongoose from 'mongoose';\nimport { codedError } from '@chatgraph/kit';\nexport { readFileSync, mongoose, codedError };\n";
      expect(await messagesOf(rule, 'subgraphs/identity/src/probe.ts', source)).toEqual([]);
      expect(
        await messagesOf(rule, 'subgraphs/identity/test/probe.test.ts', "import { gql } from '@apollo/client';\nexport { gql };\n"),
      ).toEqual([]);
    },
    LINT_TIMEOUT_MS,
  );
});
