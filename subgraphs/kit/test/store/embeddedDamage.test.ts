import { closeSync, cpSync, existsSync, openSync, readdirSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DataCheckReport } from '../../src';
import { checkDocumentStore, DocumentStoreDamagedError } from '../../src/store';
import { person, type Person } from './contractFixtures';
import { NO_COMPACTION, openStore, removeDir, tempDataDir } from './helpers';

/**
 * A damaged documents.sqlite (a middle page, a torn/truncated file, garbage in the last bytes,
 * the file or its WAL deleted): `start()` refuses with one message naming the file, the damage
 * and the repair; `checkDocumentStore --repair` keeps a backup, recovers the last good state and
 * reports what was lost.
 */

const DOCS = 300;
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function newDir(): string {
  const dir = tempDataDir();
  dirs.push(dir);
  return dir;
}

const db = (dir: string): string => join(dir, 'documents.sqlite');

/** A store holding DOCS people (big enough to span ~30 pages), cleanly stopped; returns them by id. */
async function seeded(): Promise<{ dir: string; originals: Map<string, Person> }> {
  const dir = newDir();
  const { store, people } = await openStore(dir);
  await people.insertMany(Array.from({ length: DOCS }, (_, i) => person(`p${i}`, { name: `person ${i} ${'x'.repeat(150)}` })));
  const originals = new Map((await people.find({})).map((doc) => [doc._id, doc]));
  await store.stop();
  return { dir, originals };
}

function overwrite(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

/** start() refuses, with the message an operator needs; the failed start released the lock. */
async function expectRefusal(dir: string, damage: RegExp): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const error: unknown = await openStore(dir).then(
      async ({ store }) => {
        await store.stop();
        return undefined;
      },
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(DocumentStoreDamagedError);
    const message = (error as Error).message;
    expect(message).toContain(`embedded document store ${db(dir)} is damaged`);
    expect(message).toMatch(damage);
    expect(message).toContain('run `chatgraph check --repair`');
  }
}

/** Checks (refusing to change anything), repairs, and returns the repair's report. */
async function repair(dir: string): Promise<DataCheckReport> {
  const [checked] = await checkDocumentStore(dir, { repair: false });
  expect(checked).toMatchObject({ file: db(dir), ok: false, repaired: false, lost: [] });
  expect(checked?.problems.length).toBeGreaterThan(0);
  expect(checked?.backup).toBeUndefined();
  const reports = await checkDocumentStore(dir, { repair: true });
  expect(reports).toHaveLength(1);
  const report = reports[0] as DataCheckReport;
  expect(report).toMatchObject({ file: db(dir), ok: true, repaired: true });
  expect(report.lost.length).toBeGreaterThan(0);
  expect(report.backup && existsSync(report.backup)).toBeTruthy();
  return report;
}

/** Starts on the repaired directory; every document served is exactly one that was stored. */
async function recovered(dir: string, originals: Map<string, Person>): Promise<string[]> {
  const { store, people } = await openStore(dir);
  try {
    const docs = await people.find({});
    for (const doc of docs) expect(doc).toEqual(originals.get(doc._id));
    // The repaired store takes writes again.
    await people.insertOne(person('after-repair'));
    expect(await people.count({})).toBe(docs.length + 1);
    return docs.map((doc) => doc._id);
  } finally {
    await store.stop();
  }
}

/** The ids a report names as lost. */
function namedLost(report: DataCheckReport): string[] {
  return report.lost.flatMap((line) => /^document (\S+) of collection people/.exec(line)?.slice(1) ?? []);
}

it('a damaged middle page: refused; repair recovers every other document and names each lost one', async () => {
  const { dir, originals } = await seeded();
  const pages = statSync(db(dir)).size / 4096;
  overwrite(db(dir), 4096 * Math.floor(pages / 2), Buffer.alloc(4096, 0xab));
  await expectRefusal(dir, /is unreadable \(database disk image is malformed\)/);
  const report = await repair(dir);
  expect(readdirSync(report.backup as string)).toContain('documents.sqlite');
  const ids = await recovered(dir, originals);
  const lost = namedLost(report);
  expect(lost.length).toBeGreaterThan(0);
  expect(ids.length).toBeLessThan(DOCS);
  // Nothing vanishes unreported: every stored document is either recovered or named as lost.
  expect([...ids, ...lost].sort()).toEqual([...originals.keys()].sort());
});

it('a torn write (file cut mid-page): refused as truncated; repair recovers the readable prefix and reports the rest', async () => {
  const { dir, originals } = await seeded();
  truncateSync(db(dir), Math.floor((statSync(db(dir)).size * 0.6) / 4096) * 4096 + 1000);
  await expectRefusal(dir, /is truncated \(\d+ whole pages and 1000 stray bytes, its header says \d+ pages\): a torn or cut-off write/);
  const report = await repair(dir);
  const ids = await recovered(dir, originals);
  expect(ids.length).toBeGreaterThan(0);
  expect(ids.length).toBeLessThan(DOCS);
  // Rows are in insertion order: what survives is p0..pN-1, and the report says from which row on data is gone.
  expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => `p${i}`));
  expect(report.lost).toContain(`rows from ${ids.length + 1} on could not be read (the documents stored there, if any, are lost)`);
});

it('garbage in the last bytes: refused naming the damaged document; repair loses exactly that one', async () => {
  const { dir, originals } = await seeded();
  overwrite(db(dir), statSync(db(dir)).size - 64, Buffer.alloc(64, 0x5a));
  await expectRefusal(dir, /document p\d+ of collection people \(row \d+\) is damaged \(checksum mismatch\)/);
  const report = await repair(dir);
  const lost = namedLost(report);
  expect(lost).toHaveLength(1);
  const ids = await recovered(dir, originals);
  expect(ids).toHaveLength(DOCS - 1);
  expect(ids).not.toContain(lost[0]);
});

it('the database file deleted: refused (not silently started empty); repair starts empty and says everything was lost', async () => {
  const { dir, originals } = await seeded();
  rmSync(db(dir));
  await expectRefusal(dir, /documents\.sqlite is missing \(.*documents\.sqlite\.created says it was created\)/);
  const report = await repair(dir);
  expect(report.lost).toEqual([`every document of ${db(dir)} (the file is missing)`]);
  expect(await recovered(dir, originals)).toEqual([]);
});

it('after a crash the WAL holds committed writes: kept, they are served; deleted, start refuses and repair reports the loss', async () => {
  const { dir, originals } = await seeded();
  // A running store whose last writes are only in the WAL; copying its files is what a kill -9 leaves.
  const running = await openStore(dir, NO_COMPACTION);
  await running.people.insertMany([person('w1'), person('w2')]);
  const crashed = newDir();
  const walLost = newDir();
  for (const target of [crashed, walLost]) {
    cpSync(db(dir), db(target));
    cpSync(`${db(dir)}.created`, `${db(target)}.created`);
  }
  cpSync(`${db(dir)}-wal`, `${db(crashed)}-wal`);
  await running.store.stop();

  const afterCrash = await openStore(crashed);
  expect(await afterCrash.people.count({})).toBe(DOCS + 2);
  await afterCrash.store.stop();

  await expectRefusal(
    walLost,
    /documents\.sqlite-wal is missing although the store was not closed cleanly: transactions committed after the last checkpoint are gone/,
  );
  const report = await repair(walLost);
  expect(report.lost).toEqual([
    'transactions committed after the last checkpoint (the WAL file is missing; which documents they changed cannot be known)',
  ]);
  expect((await recovered(walLost, originals)).sort()).toEqual([...originals.keys()].sort());
});

it('check reports every store under a data directory, healthy ones as ok without touching them', async () => {
  const root = newDir();
  for (const service of ['identity', 'conversation']) {
    const { store, people } = await openStore(join(root, service));
    await people.insertOne(person('x'));
    await store.stop();
  }
  const before = statSync(db(join(root, 'identity'))).mtimeMs;
  const reports = await checkDocumentStore(root, { repair: true });
  expect(reports.map((report) => report.file).sort()).toEqual([db(join(root, 'conversation')), db(join(root, 'identity'))]);
  for (const report of reports) expect(report).toEqual({ file: report.file, ok: true, problems: [], repaired: false, lost: [] });
  expect(statSync(db(join(root, 'identity'))).mtimeMs).toBe(before);
});
