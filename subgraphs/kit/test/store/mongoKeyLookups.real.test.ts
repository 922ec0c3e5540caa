import type mongoose from 'mongoose';
import type { DocumentStore } from '../../src/store';
import { person, peopleSpec } from './contractFixtures';
import { dropDatabase, MONGO_URL, requireMongo, testMongoStore, uniqueDbName } from './mongoSupport';

/**
 * Reads and conditional updates of one document by `_id` reach the server as a key lookup:
 * `{ _id: value }` alone, the rest of the filter matched by the store. FerretDB 1.24 on SQLite
 * uses its key only for exactly that shape; `_id` beside any other condition (the shape of every
 * conditional update: `{ _id, conversationId, status: { $in }, _deleted: { $ne: true } }`) made it
 * read the whole collection (explain: `filterPushdown: false`), and conversation applied 2–3
 * finished answers per second (`pnpm bench:completions`). The filters sent are observed with the
 * driver's command monitoring; the results must be what the whole filter means.
 */

const dbName = uniqueDbName('kit_store_keys');
let store: DocumentStore;
const finds: unknown[] = [];

beforeAll(async () => {
  await requireMongo();
  store = testMongoStore(dbName, { uri: `${MONGO_URL}/?monitorCommands=true` });
  store.collection(peopleSpec);
  await store.start();
  // The store's own connection (private): only its commands are of interest.
  const connection = (store as unknown as { connection: mongoose.Connection }).connection;
  connection.getClient().on('commandStarted', (event) => {
    if (event.commandName === 'find' && event.command.find === 'people') finds.push(event.command.filter);
  });
});

afterAll(async () => {
  await store.stop();
  await dropDatabase(dbName);
});

it('reads one document by _id and conditions with a key lookup, and matches the conditions', async () => {
  const people = store.collection(peopleSpec);
  await people.insertMany([person('k1', { tags: ['a'], score: 3 }), person('k2', { tags: ['b'], score: 5 })]);
  finds.length = 0;
  expect((await people.findOne({ _id: 'k1', tags: 'a', nickname: { $ne: 'x' } }))?._id).toBe('k1');
  expect(await people.findOne({ _id: 'k1', tags: 'b' })).toBeNull();
  expect(await people.find({ _id: { $eq: 'k2' }, score: { $gte: 5 } }, { skip: 1 })).toEqual([]);
  expect((await people.find({ _id: { $eq: 'k2' }, score: { $gte: 5 } })).map((p) => p._id)).toEqual(['k2']);
  expect(finds).toEqual([{ _id: 'k1' }, { _id: 'k1' }, { _id: 'k2' }, { _id: 'k2' }]);
});

it('conditional updates by _id read the document with a key lookup, and respect the conditions', async () => {
  const people = store.collection(peopleSpec);
  await people.insertOne(person('k3', { score: 1 }));
  finds.length = 0;
  const missed = await people.updateOne({ _id: 'k3', score: { $in: [7, 8] } }, { $set: { score: 9 } });
  const hit = await people.updateOne({ _id: 'k3', score: { $in: [1, 2] }, nickname: { $ne: 'x' } }, { $inc: { score: 1 } });
  expect([missed.modifiedCount, hit.modifiedCount]).toEqual([0, 1]);
  expect((await people.findById('k3'))?.score).toBe(2);
  expect(finds.length).toBeGreaterThan(0);
  expect(finds.every((filter) => JSON.stringify(filter) === JSON.stringify({ _id: 'k3' }))).toBe(true);
});
