/**
 * Renders every service's configuration variables into README.md between the config markers,
 * from the same specs the services parse their environment with. `--check` fails on drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeConfig, type ConfigSpec } from '@chatgraph/kit';
import { identityConfigSpec } from '../subgraphs/identity/src/config';
import { ROUTER_CONFIG_SPEC } from '../router/src/config';
import { EMBEDDED_CONFIG_SPEC } from '../router/src/embedded/config';

const sections: Array<[string, ConfigSpec]> = [
  ['embedded launcher (`pnpm start`)', EMBEDDED_CONFIG_SPEC],
  ['router', ROUTER_CONFIG_SPEC],
  ['identity', identityConfigSpec],
];

const escape = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function render(): string {
  const lines = ['| service | variable | default | meaning |', '|---|---|---|---|'];
  for (const [service, spec] of sections) {
    for (const row of describeConfig(spec)) lines.push(`| ${service} | \`${row.name}\` | ${escape(row.default)} | ${escape(row.description)} |`);
  }
  return lines.join('\n');
}

const readme = join(__dirname, '..', 'README.md');
const current = readFileSync(readme, 'utf8');
const pattern = /(<!-- config:start -->\n)[\s\S]*?(<!-- config:end -->)/;
if (!pattern.test(current)) {
  console.error('README.md has no <!-- config:start --> / <!-- config:end --> markers');
  process.exit(1);
}
const next = current.replace(pattern, `$1${render()}\n$2`);
if (process.argv.includes('--check')) {
  if (next !== current) {
    console.error('README.md configuration table is stale: run `pnpm docs:config` and commit');
    process.exit(1);
  }
} else if (next !== current) {
  writeFileSync(readme, next);
  console.log('README.md configuration table updated');
}
