/**
 * Runs the embedded stack in its own process for benchmarks (so the load generator does not
 * share an event loop with the servers) and prints one JSON line with what the parent needs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC } from '@chatgraph/router/src/embedded/config';
import { startEmbedded } from '@chatgraph/router/src/embedded/launch';

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-bench-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const stack = await startEmbedded(config, { ...process.env, LOG_LEVEL: 'warn' });
  process.stdout.write(`${JSON.stringify({ url: stack.url, identityUrl: stack.identity.url, secret: stack.signingSecret })}\n`);
  process.on('SIGTERM', () => void stack.stop().then(() => process.exit(0)));
}

void main();
