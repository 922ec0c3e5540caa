import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { DuplicateKeyError } from '../../src/store';
import { decodeJson } from '../../src/store/embedded/codec';
import { person, rejectionOf } from './contractFixtures';
import { openStore, recordingLogger, removeDir, tempDataDir, type OpenStore } from './helpers';

/**
 * First start on a data directory in the legacy journal/snapshot format: `fixtures/legacy-v1`
 * was written by the pre-SQLite store (fixtures/makeLegacyFixture.ts), and
 * `legacy-v1.expected.json` is what that store loaded from it.
 */

const FIXTURE = join(__dirname, 'fixtures', 'legacy-v1');
const LEGACY_FILES = ['bags.journal', 'bags.snapshot', 'memberships.journal', 'people.journal', 'people.snapshot'];
const expected = decodeJson(readFileSync(join(__dirname, 'fixtures', 'legacy-v1.expected.json'), 'utf8'));

let dir: string;
const open: OpenStore[] = [];

beforeEach(() => {
  dir = tempDataDir();
  cpSync(FIXTURE, dir, { recursive: true });
});

afterEach(async () => {
  for (const { store } of open.splice(0)) await store.stop();
  removeDir(dir);
});

async function start(logger = recordingLogger()): Promise<OpenStore> {
  const opened = await openStore(dir, { logger });
  open.push(opened);
  return opened;
}

async function everything({ people, memberships, bags }: OpenStore): Promise<unknown> {
  const all = { sort: { _id: 1 as const } };
  return { people: await people.find({}, all), memberships: await memberships.find({}, all), bags: await bags.find({}, all) };
}

it('imports every collection exactly as the old store loaded it, keeps the old files as a backup, logs one line', async () => {
  const logger = recordingLogger();
  const migrated = await start(logger);
  expect(await everything(migrated)).toEqual(expected);
  expect(readdirSync(join(dir, 'legacy-backup')).sort()).toEqual(LEGACY_FILES);
  for (const file of LEGACY_FILES) expect(existsSync(join(dir, file))).toBe(false);
  const lines = logger.entries.filter((entry) => /migrated/.test(entry.msg));
  expect(lines).toHaveLength(1);
  expect(lines[0]?.msg).toMatch(
    /migrated 3 collection\(s\), 7 documents, from the journal\/snapshot files to SQLite; old files kept in .*legacy-backup/,
  );
  // The imported documents are live data: indexes enforced, writes persist.
  expect(await rejectionOf(migrated.people.insertOne(person('x', { email: 'six@x' })))).toBeInstanceOf(DuplicateKeyError);
  await migrated.people.insertOne(person('p7'));
  await migrated.store.stop();

  const again = recordingLogger();
  const restarted = await start(again);
  expect(again.entries.filter((entry) => /migrated/.test(entry.msg))).toHaveLength(0);
  expect((await restarted.people.find({}, { sort: { _id: 1 } })).map((doc) => doc._id)).toEqual(['p1', 'p2', 'p4', 'p5', 'p6', 'p7']);
});

it('a crash between the import and the move of the old files neither imports them twice nor loses later writes', async () => {
  const first = await start();
  await first.people.deleteOne({ _id: 'p6' });
  await first.store.stop();
  // The old files are back where they were, as if the move had not happened.
  for (const file of LEGACY_FILES) cpSync(join(dir, 'legacy-backup', file), join(dir, file));
  const second = await start();
  expect((await second.people.find({}, { sort: { _id: 1 } })).map((doc) => doc._id)).toEqual(['p1', 'p2', 'p4', 'p5']);
  for (const file of LEGACY_FILES) expect(existsSync(join(dir, file))).toBe(false);
});

it('refuses to start on a damaged legacy journal and leaves the old files untouched', async () => {
  const path = join(dir, 'people.journal');
  const lines = readFileSync(path, 'utf8').split('\n');
  lines[1] = '#garbage#';
  writeFileSync(path, lines.join('\n'));
  await expect(openStore(dir)).rejects.toThrow(/journal .*people\.journal is corrupt at line 2.*cannot migrate it/);
  expect(
    readdirSync(dir)
      .filter((file) => LEGACY_FILES.includes(file))
      .sort(),
  ).toEqual(LEGACY_FILES);
  // Nothing half-imported: not even the undamaged collections.
  const db = new DatabaseSync(join(dir, 'documents.sqlite'), { readOnly: true });
  try {
    expect(db.prepare('SELECT count(*) AS n FROM documents').get()?.n).toBe(0);
  } finally {
    db.close();
  }
  await expect(openStore(dir)).rejects.toThrow(/corrupt at line 2/);
});
