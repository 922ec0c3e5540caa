import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createEmbeddedEventBus } from '../../src/events';
import { eventually, numberOf, thing, unique, uniqueTopic } from './helpers';

/**
 * A real crash with records in flight (`maxInFlightPerPartition`): a child consumes side by side,
 * records finishing out of offset order (the first one never finishes), and is SIGKILLed
 * mid-stream. After a restart every event is handled (the committed offset never passed a
 * record that had not finished), and each key's events arrive in order in each run.
 */

const workspaceRoot = resolve(__dirname, '../../../..');
const childScript = join(__dirname, 'inFlightCrashChild.ts');
const KEYS = 20;
const PER_KEY = 20;

/** Runs the child until it has handled `killAfter` events, SIGKILLs it, and returns every complete `key n` line it printed. */
function runUntilKilled(dataDir: string, topic: string, groupId: string, killAfter: number): Promise<Array<[string, number]>> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, dataDir, topic, groupId], {
      cwd: workspaceRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const handled: Array<[string, number]> = [];
    let pending = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, key = '', n = ''] = line.split(' ');
        if (kind === 'handled') handled.push([key, Number(n)]);
      }
      if (!killed && handled.length >= killAfter) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') done(handled);
      else fail(new Error(`child ended by itself (code ${code}) after ${handled.length} events: ${stderr}`));
    });
    child.on('error', fail);
  });
}

/** Each key's numbers in the order they were handled. */
function byKey(handled: ReadonlyArray<[string, number]>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [key, n] of handled) out.set(key, [...(out.get(key) ?? []), n]);
  return out;
}

it('handles every event after a SIGKILL with records in flight, each key in order', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatgraph-in-flight-crash-'));
  try {
    const topic = uniqueTopic();
    const groupId = unique('g');
    const seed = createEmbeddedEventBus({ dataDir, partitions: 2 });
    await seed.start();
    // Key k<i> carries i*PER_KEY .. i*PER_KEY+PER_KEY-1, published round-robin across keys.
    await seed.publish(
      topic,
      Array.from({ length: PER_KEY }, (_, round) => Array.from({ length: KEYS }, (_, k) => thing(`k${k}`, k * PER_KEY + round))).flat(),
    );
    await seed.stop();

    const first = await runUntilKilled(dataDir, topic, groupId, (KEYS * PER_KEY) / 3);

    const bus = createEmbeddedEventBus({ dataDir, partitions: 2 });
    await bus.start();
    const second: Array<[string, number]> = [];
    try {
      await bus.subscribe({
        groupId,
        topics: [topic],
        maxInFlightPerPartition: 8,
        handler: async (delivery) => void second.push([delivery.key, numberOf(delivery)]),
      });
      const all = KEYS * PER_KEY;
      await eventually(() => new Set([...first, ...second].map(([, n]) => n)).size === all, 'every event handled in one run or the other');
    } finally {
      await bus.stop();
    }
    for (const run of [first, second]) {
      for (const numbers of byKey(run).values()) expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    }
    expect(first.map(([, n]) => n)).not.toContain(0);
    expect(second.map(([, n]) => n)).toContain(0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
