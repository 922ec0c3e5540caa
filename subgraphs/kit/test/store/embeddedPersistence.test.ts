import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { DuplicateKeyError } from '../../src/store';
import { at, person, rejectionOf, seedPeople, type Person } from './contractFixtures';
import { EAGER_COMPACTION, NO_COMPACTION, openStore, removeDir, tempDataDir, type OpenStore } from './helpers';

/** Embedded adapter: what survives a restart, on SQLite (crashes: embeddedCrash; damage: embeddedDamage). */

let dir: string;
const open: OpenStore[] = [];

beforeEach(() => {
  dir = tempDataDir();
});

afterEach(async () => {
  for (const { store } of open.splice(0)) await store.stop();
  removeDir(dir);
});

async function start(options: Parameters<typeof openStore>[1] = {}): Promise<OpenStore> {
  const opened = await openStore(dir, options);
  open.push(opened);
  return opened;
}

async function allPeople(people: OpenStore['people']): Promise<Person[]> {
  return people.find({}, { sort: { _id: 1 } });
}

/** Inserts, updates and deletes a little of everything; returns the resulting documents. */
async function mixedWorkload({ people }: OpenStore): Promise<Person[]> {
  await people.insertMany(seedPeople());
  await people.updateOne({ _id: 'p1' }, { $set: { 'address.city': 'Leeds' }, $push: { tags: 'moved' } });
  await people.updateOne({ _id: 'p2' }, { $inc: { score: 10 }, $unset: { nickname: '' } });
  await people.deleteOne({ _id: 'p3' });
  await people.updateOne({ _id: 'u1' }, { $setOnInsert: { name: 'Up', createdAt: at(50) } }, { upsert: true });
  // The same unique key moves between documents: replaying intermediate states must not trip the index.
  await people.updateOne({ _id: 'p4' }, { $set: { email: 'moved@x' } });
  await people.insertOne(person('p6', { email: 'di@x' }));
  for (let i = 0; i < 20; i++) await people.updateOne({ _id: 'p5' }, { $inc: { score: 1 } });
  return allPeople(people);
}

it('keeps every acknowledged write across a restart, with indexes still enforced', async () => {
  const first = await start(NO_COMPACTION);
  const expected = await mixedWorkload(first);
  await first.store.stop();
  const second = await start(NO_COMPACTION);
  expect(await allPeople(second.people)).toEqual(expected);
  expect((await second.people.findById('p1'))?.createdAt).toBeInstanceOf(Date);
  expect(await rejectionOf(second.people.insertOne(person('p7', { email: 'moved@x' })))).toBeInstanceOf(DuplicateKeyError);
});

it('an acknowledged write is already committed in documents.sqlite', async () => {
  const { people } = await start(NO_COMPACTION);
  await people.insertOne(person('j1'));
  // A second connection sees only committed transactions (WAL).
  const reader = new DatabaseSync(join(dir, 'documents.sqlite'), { readOnly: true });
  try {
    expect(reader.prepare("SELECT doc FROM documents WHERE collection = 'people' AND id = 'j1'").get()?.doc).toContain('"_id":"j1"');
  } finally {
    reader.close();
  }
});

it('keeps the same state through WAL checkpoints after every transaction and a restart', async () => {
  const first = await start(EAGER_COMPACTION);
  const expected = await mixedWorkload(first);
  await first.store.stop();
  // A clean stop checkpoints and removes the WAL: everything is in the database file.
  expect(existsSync(join(dir, 'documents.sqlite-wal'))).toBe(false);
  const second = await start(NO_COMPACTION);
  expect(await allPeople(second.people)).toEqual(expected);
});

it('keeps natural (first insertion) order across a restart, as in memory', async () => {
  const first = await start(NO_COMPACTION);
  await first.people.insertMany([person('z'), person('a'), person('m')]);
  await first.people.updateOne({ _id: 'z' }, { $set: { score: 3 } });
  await first.people.deleteOne({ _id: 'a' });
  await first.people.insertOne(person('a'));
  const before = (await first.people.find({})).map((doc) => doc._id);
  expect(before).toEqual(['z', 'm', 'a']);
  await first.store.stop();
  const second = await start(NO_COMPACTION);
  expect((await second.people.find({})).map((doc) => doc._id)).toEqual(before);
});

it('round-trips dates nested in arrays and sub-documents, and non-finite numbers, through SQLite', async () => {
  const value = {
    when: [new Date('1999-12-31T23:59:59.999Z'), { at: new Date(0) }],
    big: Infinity,
    small: -Infinity,
    nan: NaN,
    text: 'line\nbreak',
  };
  const first = await start(NO_COMPACTION);
  await first.bags.insertOne({ _id: 'b1', value });
  await first.store.stop();
  const second = await start(EAGER_COMPACTION);
  expect(await second.bags.findById('b1')).toEqual({ _id: 'b1', value });
});
