import type mongoose from 'mongoose';
import { Schema } from 'mongoose';
import type { CollectionSpec, DocumentStore, StoredDocument } from '../../src/store';
import { person, peopleSpec } from './contractFixtures';
import { dropDatabase, MONGO_URL, requireMongo, testMongoStore, uniqueDbName, withConnection } from './mongoSupport';

/**
 * Reads and conditional updates of one document by `_id` reach the server as a key lookup:
 * `{ _id: value }` alone, the rest of the filter matched by the store. FerretDB 1.24 on SQLite
 * uses its key only for exactly that shape; `_id` beside any other condition (the shape of every
 * conditional update: `{ _id, conversationId, status: { $in }, _deleted: { $ne: true } }`) made it
 * read the whole collection (explain: `filterPushdown: false`), and conversation applied 2–3
 * finished answers per second (`pnpm bench:completions`). The filters sent are observed with the
 * driver's command monitoring; the results must be what the whole filter means.
 *
 * The write of an update is conditional on the revision it read: one `{ _id, __rev }` replace on
 * MongoDB (atomic there), but on FerretDB that shape also read the whole collection, twice per
 * finished answer (the answer, then the relay's pull). There the write is sent by key after a
 * key lookup of the revision (revisionWrite.ts), and must still refuse to overwrite a document
 * that changed under it.
 */

const dbName = uniqueDbName('kit_store_keys');
let store: DocumentStore;
const finds: unknown[] = [];
/** The filter (`q`) of every update or replace of `people` or `gated`. */
const writes: unknown[] = [];

/** A document whose validation can be held open: between an update's read and its write. */
interface Gated extends StoredDocument {
  score: number;
}
let hold: { entered: () => void; released: Promise<void> } | undefined;
const gatedSpec: CollectionSpec<Gated> = {
  name: 'gated',
  schema: new Schema<Gated>(
    {
      _id: { type: String },
      score: {
        type: Number,
        required: true,
        validate: async () => {
          const held = hold;
          hold = undefined;
          if (held) {
            held.entered();
            await held.released;
          }
          return true;
        },
      },
    },
    { versionKey: false },
  ),
};

beforeAll(async () => {
  await requireMongo();
  store = testMongoStore(dbName, { uri: `${MONGO_URL}/?monitorCommands=true` });
  store.collection(peopleSpec);
  store.collection(gatedSpec);
  await store.start();
  // The store's own connection (private): only its commands are of interest.
  const connection = (store as unknown as { connection: mongoose.Connection }).connection;
  connection.getClient().on('commandStarted', (event) => {
    if (event.commandName === 'find' && event.command.find === 'people') finds.push(event.command.filter);
    if (event.commandName === 'update' && ['people', 'gated'].includes(String(event.command.update))) {
      for (const statement of event.command.updates as Array<{ q: unknown }>) writes.push(statement.q);
    }
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

/** True when the server is FerretDB (it announces itself in `buildInfo`). */
async function isFerretDb(): Promise<boolean> {
  return withConnection(
    MONGO_URL,
    async (connection) => 'ferretdbVersion' in ((await connection.db?.admin().command({ buildInfo: 1 })) ?? {}),
  );
}

it('writes an update by key on FerretDB (the revision checked by a key lookup), and with the revision in the filter on MongoDB', async () => {
  const people = store.collection(peopleSpec);
  await people.insertOne(person('k4', { score: 1 }));
  writes.length = 0;
  await people.updateOne({ _id: 'k4', score: 1 }, { $inc: { score: 1 } });
  await people.updateOne({ _id: 'k4' }, { $set: { nickname: 'four' } });
  expect(await people.findById('k4')).toMatchObject({ score: 2, nickname: 'four' });
  const shapes = writes.map((filter) =>
    Object.keys(filter as object)
      .sort()
      .join(','),
  );
  // Before: { _id, __rev } everywhere, which FerretDB answered by reading every document.
  expect(shapes).toEqual((await isFerretDb()) ? ['_id', '_id'] : ['__rev,_id', '__rev,_id']);
});

it('never writes over a document deleted and inserted again between the read of an update and its write', async () => {
  const gated = store.collection(gatedSpec);
  await gated.insertOne({ _id: 'g1', score: 1 });
  let entered!: () => void;
  const inValidation = new Promise<void>((resolve) => (entered = resolve));
  let release!: () => void;
  hold = { entered, released: new Promise<void>((resolve) => (release = resolve)) };
  // Read score 1, then held in validation while the document is replaced under it.
  const update = gated.updateOne({ _id: 'g1' }, { $inc: { score: 1 } });
  await inValidation;
  expect(await gated.deleteOne({ _id: 'g1' })).toBe(1);
  await gated.insertOne({ _id: 'g1', score: 100 });
  release();
  expect(await update).toEqual({ matchedCount: 1, modifiedCount: 1 });
  // The stale write (score 2) is refused; the update starts over on the new document.
  expect((await gated.findById('g1'))?.score).toBe(101);
});
