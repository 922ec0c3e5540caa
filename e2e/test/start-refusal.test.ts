/**
 * The scenario end to end: a service's documents are damaged so that one of its
 * collections cannot open, then the one-process supergraph is started as an operator does
 * (`pnpm start`). The start must refuse with one message naming the service, the data
 * directory, the collection and the repair command, exit non-zero, print no "ChatGraph is up"
 * and leave nothing listening. The damage is made through the store's own API (documents that
 * break a unique index the service declares), so it reaches whatever persistence the embedded
 * store uses, now and after a change of file format.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Schema } from 'mongoose';
import { loadConfig, StartRefusedError } from '@chatgraph/kit';
import { createEmbeddedStore } from '@chatgraph/kit/store';
import { EMBEDDED_CONFIG_SPEC, startEmbedded } from '@chatgraph/launcher';

const root = path.join(__dirname, '..', '..');
let dataDir: string;
let child: ChildProcess | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-refusal-'));
});
afterEach(() => {
  // A launcher that wrongly started must not outlive the test.
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

/** Two ai-gateway generations sharing a stream id: `generations` declares `streamId` unique, so it cannot open. */
async function damageGenerations(): Promise<void> {
  const store = createEmbeddedStore({ dataDir: path.join(dataDir, 'ai-gateway') });
  const generations = store.collection({
    name: 'generations',
    schema: new Schema({ _id: String, streamId: String }, { versionKey: false, strict: false }),
  });
  await store.start();
  await generations.insertMany([
    { _id: 'g1', streamId: 'same-stream' },
    { _id: 'g2', streamId: 'same-stream' },
  ]);
  await store.stop();
}

/**
 * Conversation's stored files with garbage bytes put in front of each (the lock file aside): a
 * record that cannot be read before the good ones, or a database file whose header is not one,
 * whatever format the store writes.
 */
async function corruptConversationFiles(): Promise<void> {
  const dir = path.join(dataDir, 'conversation');
  const store = createEmbeddedStore({ dataDir: dir });
  const conversations = store.collection({
    name: 'conversations',
    schema: new Schema({ _id: String }, { versionKey: false, strict: false }),
  });
  await store.start();
  await conversations.insertMany([{ _id: 'c1' }, { _id: 'c2' }]);
  await store.stop();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name === 'LOCK') continue;
    const file = path.join(entry.parentPath, entry.name);
    writeFileSync(file, Buffer.concat([Buffer.from('\u0000not a record\n'), readFileSync(file)]));
  }
}

async function repairGenerations(): Promise<void> {
  const store = createEmbeddedStore({ dataDir: path.join(dataDir, 'ai-gateway') });
  const generations = store.collection({
    name: 'generations',
    schema: new Schema({ _id: String, streamId: String }, { versionKey: false, strict: false }),
  });
  await store.start();
  await generations.deleteOne({ _id: 'g2' });
  await store.stop();
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const REFUSAL =
  /ai-gateway refused to start: its document store \(.*ai-gateway\) cannot open: embedded store cannot open collection generations: cannot build unique index streamId_1 of generations: stored documents already hold duplicate keys\..*run `\.\/chatgraph check --repair`/;

describe('embedded supergraph over a damaged collection', () => {
  it.each([
    ['a unique index that cannot be built over stored duplicates', damageGenerations, REFUSAL],
    [
      'corrupt files',
      corruptConversationFiles,
      /conversation refused to start: its document store \(.*conversation\) cannot open: embedded document store .*conversation\/documents\.sqlite is damaged: .*run `chatgraph check --repair`/,
    ],
  ])('`pnpm start` over %s refuses with one clear message, exits non-zero and leaves nothing listening', async (_what, damage, message) => {
    await damage();
    const port = await freePort();
    const launcher = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'launcher/src/embedded/main.ts')], {
      cwd: root,
      env: { ...process.env, DATA_DIR: dataDir, ROUTER_PORT: String(port), LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = launcher;
    let stdout = '';
    let stderr = '';
    launcher.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    launcher.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => launcher.once('close', (exitCode) => resolve(exitCode)));

    expect(code).toBe(1);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stdout).not.toMatch(/ChatGraph is up/);
    expect(await listening(port)).toBe(false);
  });

  it('stops everything it opened, so the same data directory starts once repaired', async () => {
    await damageGenerations();
    const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    const refusal = await startEmbedded(config, { LOG_LEVEL: 'silent' }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(StartRefusedError);
    expect((refusal as Error).message).toMatch(REFUSAL);

    await repairGenerations();
    // Every lock (stores, event log) was released by the refused start.
    const stack = await startEmbedded(config, { LOG_LEVEL: 'silent' });
    try {
      expect((await fetch(new URL('/readyz', stack.url))).status).toBe(200);
    } finally {
      await stack.stop();
    }
  });
});
