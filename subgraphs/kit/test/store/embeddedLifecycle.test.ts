import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEmbeddedStore, type DocumentStore } from '../../src/store';
import { SqliteWriter } from '../../src/store/embedded/sqliteWriter';
import { peopleSpec, person } from './contractFixtures';
import { bagsSpec, NO_COMPACTION, openStore, recordingLogger, removeDir, tempDataDir, type OpenStore } from './helpers';

/** Embedded adapter: start/stop, the data-directory lock, group commit, storage failures. */

let dir: string;
const running: DocumentStore[] = [];

beforeEach(() => {
  dir = tempDataDir();
});

afterEach(async () => {
  jest.restoreAllMocks();
  for (const store of running.splice(0)) await store.stop();
  removeDir(dir);
});

async function start(options: Parameters<typeof openStore>[1] = {}): Promise<OpenStore> {
  const opened = await openStore(dir, options);
  running.push(opened.store);
  return opened;
}

describe('lock file', () => {
  it('refuses a second store on the same directory until the first stops', async () => {
    const first = await start();
    expect(readFileSync(join(dir, 'LOCK'), 'utf8').split('\n')[0]).toBe(String(process.pid));
    const second = createEmbeddedStore({ dataDir: dir });
    second.collection(peopleSpec);
    await expect(second.start()).rejects.toThrow(`in use by process ${process.pid}`);
    await first.store.stop();
    expect(existsSync(join(dir, 'LOCK'))).toBe(false);
    const third = await start();
    await expect(third.store.ping()).resolves.toBeUndefined();
  });

  it('takes over the lock of a process that is gone', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(dir, 'LOCK'), `${gone}\n`);
    const logger = recordingLogger();
    await start({ logger });
    expect(readFileSync(join(dir, 'LOCK'), 'utf8').split('\n')[0]).toBe(String(process.pid));
    expect(logger.entries.some((entry) => /lock/.test(entry.msg))).toBe(true);
  });
});

describe('lifecycle', () => {
  it('refuses operations before start and after stop, and stop is safe twice', async () => {
    const store = createEmbeddedStore({ dataDir: dir });
    const people = store.collection(peopleSpec);
    await expect(people.findById('x')).rejects.toThrow(/not started/);
    await expect(store.ping()).rejects.toThrow(/not started/);
    await store.start();
    await people.insertOne(person('x'));
    await store.stop();
    await store.stop();
    await expect(people.findById('x')).rejects.toThrow(/stopped/);
    await expect(people.insertOne(person('y'))).rejects.toThrow(/stopped/);
    await expect(store.ping()).rejects.toThrow(/stopped/);
    await expect(store.start()).rejects.toThrow(/create a new one/);
  });

  it('returns one collection object per name', () => {
    const store = createEmbeddedStore({ dataDir: dir });
    expect(store.collection(peopleSpec)).toBe(store.collection({ ...peopleSpec }));
  });

  it('refuses collection names that are not safe file names', () => {
    const store = createEmbeddedStore({ dataDir: dir });
    expect(() => store.collection({ ...bagsSpec, name: '../escape' })).toThrow(/not usable/);
  });

  it('serves a collection registered after start, and persists it', async () => {
    const { store } = await start();
    const late = store.collection({ ...bagsSpec, name: 'late' });
    await late.insertOne({ _id: 'l1', rank: 1 });
    await store.stop();
    const again = createEmbeddedStore({ dataDir: dir });
    const lateAgain = again.collection({ ...bagsSpec, name: 'late' });
    await again.start();
    running.push(again);
    expect(await lateAgain.findById('l1')).toEqual({ _id: 'l1', rank: 1 });
  });

  it('stop waits for writes already under way, and they survive', async () => {
    const { store, people } = await start();
    const writes = Array.from({ length: 50 }, (_, i) => people.insertOne(person(`s${i}`)));
    await store.stop();
    await expect(Promise.all(writes)).resolves.toHaveLength(50);
    const again = await start();
    expect(await again.people.count({})).toBe(50);
  });
});

describe('group commit', () => {
  it('acknowledges many concurrent writes with few fsynced transactions, all durable', async () => {
    const appends = jest.spyOn(SqliteWriter.prototype, 'write');
    const { store, people } = await start(NO_COMPACTION);
    const ids = Array.from({ length: 300 }, (_, i) => `g${i}`);
    await Promise.all(ids.map((id) => people.insertOne(person(id))));
    // One transaction (commit + WAL fsync) per batch, not per write.
    expect(appends.mock.calls.length).toBeGreaterThan(0);
    expect(appends.mock.calls.length).toBeLessThanOrEqual(30);
    await store.stop();
    const again = await start(NO_COMPACTION);
    expect((await again.people.findByIds(ids)).length).toBe(300);
  });
});

describe('storage failure', () => {
  it('rejects the writes of a batch whose commit failed, then refuses writes and fails ping', async () => {
    const { store, people } = await start(NO_COMPACTION);
    await people.insertOne(person('ok'));
    jest.spyOn(SqliteWriter.prototype, 'write').mockRejectedValueOnce(new Error('cannot write documents.sqlite: disk I/O error'));
    await expect(people.insertOne(person('lost'))).rejects.toThrow('disk I/O error');
    await expect(people.insertOne(person('after'))).rejects.toThrow(/refuses writes after a storage failure/);
    await expect(store.ping()).rejects.toThrow(/cannot write .*documents\.sqlite/);
    jest.restoreAllMocks();
    await store.stop();
    const again = await start(NO_COMPACTION);
    expect(await again.people.findById('ok')).not.toBeNull();
  });
});
