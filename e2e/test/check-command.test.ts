/**
 * `./chatgraph check [--repair]` as an operator runs it, over a data directory laid out as
 * `pnpm start` lays it out (a document store per service, the shared event log): a healthy
 * directory is reported good; damage to a store and to the event log is reported with exit code 1
 * and changes nothing; `--repair` keeps backups, reports what was lost, and leaves a directory
 * that verifies and opens again.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Schema } from 'mongoose';
import { createEmbeddedStore } from '@chatgraph/kit/store';
import { createEmbeddedEventBus } from '@chatgraph/kit/events';

const root = path.join(__dirname, '..', '..');
let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-check-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function check(...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/check-data.ts'), ...args], {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const noteSchema = new Schema({ _id: String, text: String }, { versionKey: false });

function openNotes() {
  const store = createEmbeddedStore({ dataDir: path.join(dataDir, 'conversation') });
  const notes = store.collection({ name: 'notes', schema: noteSchema });
  return { store, notes };
}

/** A conversation store with 200 documents and an event log with 300 events, both stopped cleanly. */
async function seed(): Promise<void> {
  const { store, notes } = openNotes();
  await store.start();
  await notes.insertMany(Array.from({ length: 200 }, (_, i) => ({ _id: `n${i}`, text: `note ${i} ${'x'.repeat(200)}` })));
  await store.stop();
  const bus = createEmbeddedEventBus({ dataDir: path.join(dataDir, 'events') });
  await bus.start();
  const events = Array.from({ length: 300 }, (_, n) => ({
    key: `k${n % 3}`,
    event: {
      id: randomUUID(),
      type: 'thing.happened',
      occurredAt: new Date().toISOString(),
      subject: { thingId: `k${n % 3}` },
      payload: { n, pad: 'y'.repeat(300) },
    },
  }));
  await bus.publish('test.check.v1', events);
  await bus.stop();
}

function overwriteTail(file: string, bytes: number): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(bytes, 0x5a), 0, bytes, statSync(file).size - bytes);
  } finally {
    closeSync(fd);
  }
}

const storeFile = () => path.join(dataDir, 'conversation', 'documents.sqlite');
const eventFile = () => path.join(dataDir, 'events', 'events.db');

describe('./chatgraph check', () => {
  it('reports a healthy directory good (exit 0) and refuses unknown arguments (exit 2)', async () => {
    await seed();
    const healthy = await check();
    expect(healthy.code).toBe(0);
    expect(healthy.stdout).toContain(`ok       ${storeFile()}`);
    expect(healthy.stdout).toContain(`ok       ${eventFile()}`);
    expect(healthy.stdout).toMatch(/2 file\(s\) checked under .*: all good/);

    const usage = await check('--fix');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: ./chatgraph check [--repair]');
  });

  it('reports damage without changing anything, then --repair backs up, says what was lost and leaves a directory that opens', async () => {
    await seed();
    overwriteTail(storeFile(), 64);
    truncateSync(eventFile(), statSync(eventFile()).size - 4096);
    const damagedStore = readFileSync(storeFile());

    const report = await check();
    expect(report.code).toBe(1);
    expect(report.stdout).toContain(`DAMAGED  ${storeFile()}`);
    expect(report.stdout).toContain(`DAMAGED  ${eventFile()}`);
    expect(report.stdout).toMatch(/2 of 2 file\(s\) damaged under .*: stop ChatGraph, then run `\.\/chatgraph check --repair`/);
    expect(readFileSync(storeFile()).equals(damagedStore)).toBe(true);

    const repaired = await check('--repair');
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain(`ok       ${storeFile()} (repaired)`);
    expect(repaired.stdout).toContain(`ok       ${eventFile()} (repaired)`);
    const backups = [...repaired.stdout.matchAll(/ {2}backup: {2}(.+)/g)].map((match) => match[1] ?? '');
    expect(backups).toHaveLength(2);
    for (const backup of backups) expect(existsSync(backup)).toBe(true);
    expect(repaired.stdout).toMatch(/lost: {4}[1-9]\d*/);

    const again = await check();
    expect(again.code).toBe(0);
    const { store, notes } = openNotes();
    await store.start();
    // The repair lost the damaged document(s) and kept every other one.
    const kept = await notes.count({});
    await store.stop();
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(200);
  });
});
