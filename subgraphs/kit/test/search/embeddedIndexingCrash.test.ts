import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EventEnvelope } from '@chatgraph/schema';
import { createEmbeddedEventBus } from '../../src/events';
import { createEmbeddedSearchIndex } from '../../src/search';
import { crashDefinition } from './indexingCrashFixtures';

/**
 * A real crash of an indexing consumer: a child consumes events into the embedded index, one
 * `upsert` per event, the bus committing each event's offset once the handler returns, and is
 * SIGKILLed right after its handlers returned for a number of events. Every event whose handler
 * returned (so whose offset may have been committed, and which will never be delivered again)
 * must be in the index when it is opened again: nothing acknowledged is lost.
 */

const workspaceRoot = resolve(__dirname, '../../../..');
const childScript = join(__dirname, 'indexingCrashChild.ts');
const EVENTS = 400;

/** Runs the child until its handler has returned for `killAfter` events, SIGKILLs it, returns their numbers. */
function runUntilKilled(dataDir: string, topic: string, groupId: string, killAfter: number): Promise<number[]> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, dataDir, topic, groupId], {
      cwd: workspaceRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const indexed: number[] = [];
    let pending = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      // A line cut by the kill does not count.
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, n = ''] = line.split(' ');
        if (kind === 'indexed') indexed.push(Number(n));
      }
      if (!killed && indexed.length >= killAfter) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') done(indexed);
      else fail(new Error(`child ended by itself (code ${code}) after ${indexed.length} events: ${stderr}`));
    });
    child.on('error', fail);
  });
}

function event(n: number): { key: string; event: EventEnvelope } {
  return {
    key: `k${n % 5}`,
    event: {
      id: randomUUID(),
      type: 'thing.happened',
      occurredAt: new Date().toISOString(),
      subject: { thingId: `k${n % 5}` },
      payload: { n },
    },
  };
}

it('keeps every index write whose event was acknowledged, across SIGKILLs', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatgraph-indexing-crash-'));
  try {
    const topic = `test.indexing-${randomUUID().slice(0, 8)}.v1`;
    const groupId = 'indexing';
    const seed = createEmbeddedEventBus({ dataDir: join(dataDir, 'events'), partitions: 2 });
    await seed.start();
    await seed.publish(
      topic,
      Array.from({ length: EVENTS }, (_, n) => event(n)),
    );
    await seed.stop();

    // Two crashes: the second starts from what the first left (its journal or snapshot).
    const acknowledged = [...(await runUntilKilled(dataDir, topic, groupId, 40)), ...(await runUntilKilled(dataDir, topic, groupId, 40))];
    expect(acknowledged.length).toBeGreaterThanOrEqual(80);

    const index = createEmbeddedSearchIndex({ definition: crashDefinition, dataDir: join(dataDir, 'search') });
    await index.start();
    try {
      const missing: number[] = [];
      for (const n of acknowledged) {
        const { hits } = await index.search({ ownerId: 'owner', text: `token${n}`, mode: 'keyword', size: 1 });
        if (hits[0]?.id !== `doc-${n}`) missing.push(n);
      }
      expect(missing).toEqual([]);
    } finally {
      await index.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
