import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuplicateKeyError } from '../../src/store';
import { at, person, rejectionOf, seedPeople, type Person } from './contractFixtures';
import { EAGER_COMPACTION, NO_COMPACTION, openStore, recordingLogger, removeDir, tempDataDir, type OpenStore } from './helpers';

/** Embedded adapter: what survives a restart, a crash mid-write, and a crash mid-compaction. */

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

const journal = (name = 'people'): string => join(dir, `${name}.journal`);
const snapshot = (name = 'people'): string => join(dir, `${name}.snapshot`);

it('keeps every acknowledged write across a restart, with indexes still enforced', async () => {
  const first = await start(NO_COMPACTION);
  const expected = await mixedWorkload(first);
  await first.store.stop();
  const second = await start(NO_COMPACTION);
  expect(await allPeople(second.people)).toEqual(expected);
  expect((await second.people.findById('p1'))?.createdAt).toBeInstanceOf(Date);
  expect(await rejectionOf(second.people.insertOne(person('p7', { email: 'moved@x' })))).toBeInstanceOf(DuplicateKeyError);
});

it('an acknowledged write is already in the journal file', async () => {
  const { people } = await start(NO_COMPACTION);
  await people.insertOne(person('j1'));
  expect(readFileSync(journal(), 'utf8')).toContain('"_id":"j1"');
});

it('keeps the same state through compaction into a snapshot and a restart', async () => {
  const first = await start(EAGER_COMPACTION);
  const expected = await mixedWorkload(first);
  await first.store.stop();
  expect(existsSync(snapshot())).toBe(true);
  // About 30 operations were made; compaction keeps at most about one per live document (6) in the journal.
  expect(readFileSync(journal(), 'utf8').split('\n').length).toBeLessThan(10);
  const second = await start(NO_COMPACTION);
  expect(await allPeople(second.people)).toEqual(expected);
});

it('ignores a torn last journal line, truncates it, and keeps working', async () => {
  const logger = recordingLogger();
  const first = await start(NO_COMPACTION);
  const expected = await mixedWorkload(first);
  await first.store.stop();
  appendFileSync(journal(), '{"op":"put","doc":{"_id":"torn","name":"half');
  const second = await start({ ...NO_COMPACTION, logger });
  expect(await allPeople(second.people)).toEqual(expected);
  expect(logger.entries.some((entry) => entry.level === 'warn' && /torn/.test(entry.msg))).toBe(true);
  await second.people.insertOne(person('after'));
  await second.store.stop();
  // Had the torn bytes stayed, the new line would be glued onto them and the next start would fail.
  const third = await start(NO_COMPACTION);
  expect(sortedIdsOf(await allPeople(third.people))).toEqual(sortedIdsOf([...expected, person('after')]));
});

it('ignores a complete but unparseable last line', async () => {
  const first = await start(NO_COMPACTION);
  const expected = await mixedWorkload(first);
  await first.store.stop();
  appendFileSync(journal(), '\u0000\u0000garbage\n');
  const second = await start(NO_COMPACTION);
  expect(await allPeople(second.people)).toEqual(expected);
});

it('refuses to start when a line before the last is corrupt, and releases the lock', async () => {
  const first = await start(NO_COMPACTION);
  await mixedWorkload(first);
  await first.store.stop();
  const lines = readFileSync(journal(), 'utf8').split('\n');
  lines[2] = `${lines[2]?.slice(0, 10)}#garbage#`;
  writeFileSync(journal(), lines.join('\n'));
  await expect(openStore(dir, NO_COMPACTION)).rejects.toThrow(/corrupt at line 3/);
  // Not "in use": the failed start gave the lock back.
  await expect(openStore(dir, NO_COMPACTION)).rejects.toThrow(/corrupt/);
});

it('ignores a temp snapshot left by a compaction that crashed before its rename', async () => {
  const logger = recordingLogger();
  const first = await start(NO_COMPACTION);
  const expected = await mixedWorkload(first);
  await first.store.stop();
  // A complete-looking but stale snapshot under the temp name must not be used.
  writeFileSync(join(dir, 'people.snapshot.tmp'), '{"format":"chatgraph-embedded-snapshot","version":1}\n{"end":0}\n');
  const second = await start({ ...NO_COMPACTION, logger });
  expect(await allPeople(second.people)).toEqual(expected);
  expect(existsSync(join(dir, 'people.snapshot.tmp'))).toBe(false);
  expect(logger.entries.some((entry) => /incomplete snapshot/.test(entry.msg))).toBe(true);
});

it('recovers from a crash after the snapshot rename but before the journal was emptied', async () => {
  const first = await start(NO_COMPACTION);
  const expected = await mixedWorkload(first);
  await first.store.stop();
  const fullJournal = readFileSync(journal());
  // Starting with eager compaction folds the journal into a snapshot and empties it.
  const compacting = await start(EAGER_COMPACTION);
  await compacting.store.stop();
  expect(statSync(journal()).size).toBe(0);
  expect(existsSync(snapshot())).toBe(true);
  // Put the old journal back, as if the crash came between rename and truncation.
  writeFileSync(journal(), fullJournal);
  const second = await start(NO_COMPACTION);
  expect(await allPeople(second.people)).toEqual(expected);
});

it('refuses to start on a damaged snapshot', async () => {
  const first = await start(EAGER_COMPACTION);
  await mixedWorkload(first);
  await first.store.stop();
  const text = readFileSync(snapshot(), 'utf8');
  writeFileSync(snapshot(), text.slice(0, text.length - 12));
  await expect(openStore(dir, NO_COMPACTION)).rejects.toThrow(/snapshot .* is unreadable/);
});

it('round-trips dates nested in arrays and sub-documents, and non-finite numbers, through journal and snapshot', async () => {
  const value = { when: [new Date('1999-12-31T23:59:59.999Z'), { at: new Date(0) }], big: Infinity, small: -Infinity, nan: NaN, text: 'line\nbreak' };
  const first = await start(NO_COMPACTION);
  await first.bags.insertOne({ _id: 'b1', value });
  await first.store.stop();
  const fromJournal = await start(NO_COMPACTION);
  expect(await fromJournal.bags.findById('b1')).toEqual({ _id: 'b1', value });
  await fromJournal.bags.insertOne({ _id: 'b2' });
  await fromJournal.bags.updateOne({ _id: 'b2' }, { $set: { rank: 1 } });
  await fromJournal.store.stop();
  const compacted = await start(EAGER_COMPACTION);
  await compacted.store.stop();
  expect(statSync(journal('bags')).size).toBe(0);
  const fromSnapshot = await start(NO_COMPACTION);
  expect(await fromSnapshot.bags.findById('b1')).toEqual({ _id: 'b1', value });
});

function sortedIdsOf(docs: readonly Person[]): string[] {
  return docs.map((doc) => doc._id).sort();
}
