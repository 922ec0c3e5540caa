/**
 * `pnpm compose` writes schema/supergraph.graphql and schema/api-schema.graphql from the
 * subgraphs' own SDL; `pnpm compose:check` fails when either committed file is stale or the
 * subgraphs do not compose (CI runs it).
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { composeSupergraph, CompositionError } from './composition';
import { SUBGRAPHS } from './subgraphs';

const root = join(__dirname, '..');
const check = process.argv.includes('--check');

function main(): number {
  let outputs: Record<string, string>;
  try {
    const { supergraphSdl, apiSchemaSdl } = composeSupergraph(
      SUBGRAPHS.map((s) => ({ name: s.name, url: s.url, sdl: readFileSync(join(root, s.sdl), 'utf8') })),
    );
    outputs = { 'schema/supergraph.graphql': supergraphSdl.trimEnd() + '\n', 'schema/api-schema.graphql': apiSchemaSdl.trimEnd() + '\n' };
  } catch (err) {
    console.error(err instanceof CompositionError ? err.message : err);
    return 1;
  }
  let stale = 0;
  for (const [path, content] of Object.entries(outputs)) {
    const file = join(root, path);
    const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (current === content) continue;
    if (check) {
      console.error(`${path} is stale: run \`pnpm compose\` and commit the result`);
      stale++;
    } else {
      writeFileSync(file, content);
      console.log(`wrote ${path}`);
    }
  }
  if (!check && stale === 0) console.log('supergraph composed');
  return stale > 0 ? 1 : 0;
}

process.exitCode = main();
