import path from 'node:path';
import { ESLint } from 'eslint';

/** The lint rule that keeps services apart: a subgraph imports the kit, schema/ and itself only. */
const root = path.join(__dirname, '..', '..');
// ESLint loads its config file with a dynamic import, which jest's module system refuses: hand it
// the same config array directly.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the config is CommonJS
const config = require(path.join(root, 'eslint.config.js')) as ESLint.Options['overrideConfig'];
const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: config });

async function restrictedImports(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('subgraph import boundaries', () => {
  it('refuses a subgraph importing another subgraph, by package or by path, or the router', async () => {
    const file = 'subgraphs/identity/src/probe.ts';
    expect(await restrictedImports(file, "import { x } from '@chatgraph/conversation';\nexport { x };\n")).toHaveLength(1);
    expect(await restrictedImports(file, "import { x } from '../../conversation/src/service';\nexport { x };\n")).toHaveLength(1);
    expect(await restrictedImports(file, "import { x } from '@chatgraph/router';\nexport { x };\n")).toHaveLength(1);
  });

  it('allows the kit, schema and the subgraph itself', async () => {
    const file = 'subgraphs/identity/src/probe.ts';
    const source =
      "import { a } from '@chatgraph/kit';\nimport { b } from '@chatgraph/schema';\nimport { c } from './service';\nimport { d } from '../../kit/src/ids';\nexport { a, b, c, d };\n";
    expect(await restrictedImports(file, source)).toEqual([]);
  });

  it('lets tests use the shared test support, and never the source', async () => {
    const source = "import { ok } from '@chatgraph/test-support';\nexport { ok };\n";
    expect(await restrictedImports('subgraphs/identity/test/probe.test.ts', source)).toEqual([]);
    expect(await restrictedImports('subgraphs/identity/src/probe.ts', source)).toHaveLength(1);
  });

  it('keeps the kit free of services', async () => {
    expect(await restrictedImports('subgraphs/kit/src/probe.ts', "import { x } from '@chatgraph/identity';\nexport { x };\n")).toHaveLength(
      1,
    );
  });
});
