/**
 * Renders configuration tables from the same specs the services parse their environment with:
 * every variable of every service in the root README, and each service's own in its README,
 * between `<!-- config:start -->` and `<!-- config:end -->`. `--check` fails on drift (CI).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeConfig, type ConfigSpec } from '@chatgraph/kit';
import { aiGatewayConfigSpec } from '../subgraphs/ai-gateway/src/config';
import { conversationConfigSpec } from '../subgraphs/conversation/src/config';
import { identityConfigSpec } from '../subgraphs/identity/src/config';
import { streamingConfigSpec } from '../subgraphs/streaming/src/config';
import { rateLimitConfigSpec } from '../subgraphs/rate-limit/src/config';
import { ROUTER_CONFIG_SPEC } from '../router/src/config';
import { EMBEDDED_CONFIG_SPEC } from '../router/src/embedded/config';

const services: Array<{ name: string; spec: ConfigSpec; readme?: string }> = [
  { name: 'embedded launcher (`pnpm start`)', spec: EMBEDDED_CONFIG_SPEC },
  { name: 'router', spec: ROUTER_CONFIG_SPEC, readme: 'router/README.md' },
  { name: 'identity', spec: identityConfigSpec, readme: 'subgraphs/identity/README.md' },
  { name: 'conversation', spec: conversationConfigSpec, readme: 'subgraphs/conversation/README.md' },
  { name: 'ai-gateway', spec: aiGatewayConfigSpec, readme: 'subgraphs/ai-gateway/README.md' },
  { name: 'streaming', spec: streamingConfigSpec, readme: 'subgraphs/streaming/README.md' },
  { name: 'rate-limit', spec: rateLimitConfigSpec, readme: 'subgraphs/rate-limit/README.md' },
];

const escape = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const shown = (value: string): string => (value.startsWith('(') ? value : `\`${escape(value)}\``);

function serviceTable(spec: ConfigSpec): string {
  const rows = describeConfig(spec).map((r) => `| \`${r.name}\` | ${shown(r.default)} | ${escape(r.description)} |`);
  return ['| variable | default | description |', '|---|---|---|', ...rows].join('\n');
}

function allServicesTable(): string {
  const rows = services.flatMap(({ name, spec }) => describeConfig(spec).map((r) => `| ${name} | \`${r.name}\` | ${shown(r.default)} | ${escape(r.description)} |`));
  return ['| service | variable | default | description |', '|---|---|---|---|', ...rows].join('\n');
}

const root = join(__dirname, '..');
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
