import path from 'node:path';
import { ESLint } from 'eslint';

/** The lint rule that keeps packages' insides private: another package is imported through its public entry, never from its `src/`. */
const root = path.join(__dirname, '..', '..');
// ESLint loads its config file with a dynamic import, which jest's module system refuses: hand it
// the same config array directly.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the config is CommonJS
const config = require(path.join(root, 'eslint.config.js')) as ESLint.Options['overrideConfig'];
const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: config });

async function foreignSrcImports(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'chatgraph/no-foreign-src').map((m) => m.message);
}

describe("imports of another package's src/", () => {
  it('refuses them by package name, from tests, benchmarks, scripts and the router', async () => {
    expect(
      await foreignSrcImports('e2e/test/probe.test.ts', "import { x } from '@chatgraph/identity/src/config';\nexport { x };\n"),
    ).toEqual([
      "'@chatgraph/identity/src/config' reaches into @chatgraph/identity's src/: import its public entry ('@chatgraph/identity') instead",
    ]);
    expect(await foreignSrcImports('bench/probe.ts', "import { x } from '@chatgraph/router/src/pipeline';\nexport { x };\n")).toHaveLength(
      1,
    );
    expect(await foreignSrcImports('scripts/probe.ts', "export * from '@chatgraph/launcher/src/subgraphs';\n")).toHaveLength(1);
  });

  it('refuses them by a relative path that climbs into another package, however it is imported', async () => {
    expect(await foreignSrcImports('bench/probe.ts', "import { x } from '../subgraphs/conversation/src/store';\nexport { x };\n")).toEqual([
      "'../subgraphs/conversation/src/store' reaches into @chatgraph/conversation's src/: import its public entry ('@chatgraph/conversation') instead",
    ]);
    expect(await foreignSrcImports('router/src/probe.ts', "export { x } from '../../subgraphs/kit/src/ids';\n")).toHaveLength(1);
    expect(
      await foreignSrcImports('e2e/test/probe.test.ts', "export const load = () => import('../../launcher/src/embedded/launch');\n"),
    ).toHaveLength(1);
    expect(await foreignSrcImports('scripts/probe.js', "module.exports = require('../subgraphs/identity/src/server');\n")).toHaveLength(1);
  });

  it("allows public entries, a package's own src/ (its tests too) and what is no package's src/", async () => {
    const entries =
      "import { a } from '@chatgraph/identity';\nimport { b } from '@chatgraph/launcher';\nimport { c } from '@chatgraph/schema';\nexport { a, b, c };\n";
    expect(await foreignSrcImports('e2e/test/probe.test.ts', entries)).toEqual([]);
    expect(
      await foreignSrcImports('subgraphs/identity/test/probe.test.ts', "import { x } from '../src/service';\nexport { x };\n"),
    ).toEqual([]);
    expect(await foreignSrcImports('launcher/src/embedded/probe.ts', "import { x } from '../subgraphs';\nexport { x };\n")).toEqual([]);
    expect(await foreignSrcImports('e2e/test/probe.test.ts', "import { x } from '../../schema/events';\nexport { x };\n")).toEqual([]);
  });
});
