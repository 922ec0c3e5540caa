/**
 * Renders configuration tables from the same specs the services parse their environment with:
 * every variable of every service in the root README, and each service's own in its README,
 * between `<!-- config:start -->` and `<!-- config:end -->`. `--check` fails on drift (CI).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describeConfig, type ConfigSpec } from '@chatgraph/kit';
import { ROUTER_CONFIG_SPEC } from '@chatgraph/router';
import { EMBEDDED_CONFIG_SPEC, SUBGRAPHS } from '@chatgraph/launcher';

const root = join(__dirname, '..');
// Every subgraph the launchers list gets its table, in the root README and its own.
const services: Array<{ name: string; spec: ConfigSpec; readme?: string }> = [
  { name: 'embedded launcher (`pnpm start`)', spec: EMBEDDED_CONFIG_SPEC },
  { name: 'router', spec: ROUTER_CONFIG_SPEC, readme: 'router/README.md' },
  ...SUBGRAPHS.map((subgraph) => ({ name: subgraph.name, spec: subgraph.configSpec, readme: relative(root, subgraph.readme) })),
];

const escape = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const shown = (value: string): string => (value.startsWith('(') ? value : `\`${escape(value)}\``);

function serviceTable(spec: ConfigSpec): string {
  const rows = describeConfig(spec).map((r) => `| \`${r.name}\` | ${shown(r.default)} | ${escape(r.description)} |`);
  return ['| variable | default | description |', '|---|---|---|', ...rows].join('\n');
}

function allServicesTable(): string {
  const rows = services.flatMap(({ name, spec }) =>
    describeConfig(spec).map((r) => `| ${name} | \`${r.name}\` | ${shown(r.default)} | ${escape(r.description)} |`),
  );
  return ['| service | variable | default | description |', '|---|---|---|---|', ...rows].join('\n');
}

const targets: Array<[string, string]> = [
  ['README.md', allServicesTable()],
  ...services.flatMap(({ spec, readme }): Array<[string, string]> => (readme ? [[readme, serviceTable(spec)]] : [])),
];

const pattern = /(<!-- config:start -->\n)[\s\S]*?(<!-- config:end -->)/;
let stale = 0;
for (const [file, table] of targets) {
  const path = join(root, file);
  const current = readFileSync(path, 'utf8');
  if (!pattern.test(current)) {
    console.error(`${file} has no <!-- config:start --> / <!-- config:end --> markers`);
    process.exit(1);
  }
  const next = current.replace(pattern, `$1${table}\n$2`);
  if (next === current) continue;
  if (process.argv.includes('--check')) {
    console.error(`${file}: configuration table is stale: run \`pnpm docs:config\` and commit`);
    stale++;
  } else {
    writeFileSync(path, next);
    console.log(`${file}: configuration table updated`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
