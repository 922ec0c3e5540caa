/**
 * docker-compose.yml against the services' config specs: identity's environment there must load
 * (a production identity has to name its mailer), and every variable the shared service block
 * sets must be one some service reads — a variable nothing reads is drift that misleads operators.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ConfigSpec } from '@chatgraph/kit';
import { ROUTER_CONFIG_SPEC } from '@chatgraph/router';
// Relative, as scripts/config-docs.ts does: the root workspace depends on the subgraphs by path only.
import { aiGatewayConfigSpec } from '@chatgraph/ai-gateway';
import { conversationConfigSpec } from '@chatgraph/conversation';
import { identityConfigSpec, loadIdentityConfig } from '@chatgraph/identity';
import { streamingConfigSpec } from '@chatgraph/streaming';

const compose = readFileSync(path.join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8').split('\n');

/** `KEY: value` lines indented by exactly `indent` spaces, from line `from` until the block ends. */
function envBlock(from: number, indent: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of compose.slice(from)) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const depth = line.length - line.trimStart().length;
    if (depth < indent) break;
    const match = new RegExp(`^ {${indent}}([A-Z][A-Z0-9_]*): (.*)$`).exec(line);
    if (match?.[1] && match[2] !== undefined) env[match[1]] = substitute(match[2].replace(/^"(.*)"$/, '$1'));
  }
  return env;
}

/** Compose's interpolation for an unset variable: `${X:-default}` is the default, `${X:?msg}` a value the operator must give. */
function substitute(value: string): string {
  return value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1').replace(/\$\{[A-Z_]+:\?[^}]*\}/g, 'x'.repeat(40));
}

function lineOf(pattern: RegExp): number {
  const index = compose.findIndex((l) => pattern.test(l));
  if (index < 0) throw new Error(`docker-compose.yml has no line matching ${pattern}`);
  return index;
}

const shared = envBlock(lineOf(/^x-service-env: &service-env$/) + 1, 2);
const identityService = lineOf(/^ {2}identity:$/);
const identity = { ...shared, ...envBlock(compose.findIndex((l, i) => i > identityService && /^ {4}environment:$/.test(l)) + 1, 6) };

describe('docker-compose.yml', () => {
  it('gives identity a configuration that loads, with an explicit mailer under NODE_ENV=production', () => {
    expect(identity.NODE_ENV).toBe('production');
    const config = loadIdentityConfig(identity);
    expect(config.MAILER).toBe('log-redacted');
  });

  it('sets no shared variable that no service reads', () => {
    const specs: ConfigSpec[] = [ROUTER_CONFIG_SPEC, identityConfigSpec, conversationConfigSpec, aiGatewayConfigSpec, streamingConfigSpec];
    const read = new Set(specs.flatMap((spec) => Object.keys(spec)));
    expect(Object.keys(shared).length).toBeGreaterThan(3);
    expect(Object.keys(shared).filter((name) => !read.has(name))).toEqual([]);
  });
});
