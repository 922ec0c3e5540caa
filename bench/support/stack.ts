/**
 * Runs the embedded stack in its own process for benchmarks (so the load generator does not
 * share an event loop with the servers) and prints one JSON line with what the parent needs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded } from '@chatgraph/launcher';

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-bench-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const stack = await startEmbedded(config, { ...process.env, LOG_LEVEL: 'warn' });
  process.stdout.write(`${JSON.stringify({ url: stack.url, identityUrl: stack.identity.url, secret: stack.signingSecret })}\n`);
  // STACK_LOOP_DELAY=1: the event loop's delay over the run, on stderr at the end (how long
  // anything ready, e.g. another user's next hop, waited for the loop).
  const delay = process.env.STACK_LOOP_DELAY ? monitorEventLoopDelay({ resolution: 10 }) : undefined;
  delay?.enable();
  process.on('SIGTERM', () => {
    if (delay) {
      const ms = (ns: number): string => (ns / 1e6).toFixed(1);
      process.stderr.write(
        `  stack event-loop delay: p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms\n`,
      );
    }
    void stack.stop().then(() => process.exit(0));
  });
}

void main();
