import { Schema } from 'mongoose';
import {
  DocumentStoreUnavailableError,
  DocumentValidationError,
  DuplicateKeyError,
  UnsupportedQueryError,
  type CollectionSpec,
  type DocumentStore,
  type Filter,
  type StoredDocument,
  type Update,
} from '../../src/store';
import { accountsSpec, person, peopleSpec, rejectionOf, seedPeople } from './contractFixtures';
import { recordingLogger } from './helpers';
import { dropDatabase, requireMongo, testMongoStore, uniqueDbName, withConnection, MONGO_URL } from './mongoSupport';

/** MongoDB adapter: what the contract leaves open, and how the server's gaps are covered (FerretDB by default). */

interface Seat extends StoredDocument {
  room?: string;
  seat?: number;
  labels?: string[];
}

/**
 * A compound sparse unique index (a partial index on MongoDB, refused by FerretDB) and a unique
 * index on an array. `labels` has no default: an empty array is a key on MongoDB and FerretDB but
 * not on the embedded adapter, so tests (and services) keep unique array fields absent instead.
 */
const seatsSpec: CollectionSpec<Seat> = {
  name: 'seats',
  schema: new Schema<Seat>(
    { _id: { type: String }, room: String, seat: Number, labels: { type: [String], default: undefined } },
    { versionKey: false },
  ),
  indexes: [
    { fields: { room: 1, seat: 1 }, unique: true, sparse: true },
    { fields: { labels: 1 }, unique: true, sparse: true },
  ],
};

const dbName = uniqueDbName('kit_store_semantics');
const stores: DocumentStore[] = [];

function openStore(logger = recordingLogger()): DocumentStore {
  const store = testMongoStore(dbName, { logger });
  stores.push(store);
  return store;
}

beforeAll(() => requireMongo());

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.stop()));
  await dropDatabase(dbName);
});

it('refuses filters and updates outside the port subset before they reach the server', async () => {
  const store = openStore();
  const people = store.collection(peopleSpec);
  await store.start();
  await people.insertMany(seedPeople());
  const filters: Filter[] = [{ name: { $regex: '^A' } }, { $where: 'true' }, { tags: { $size: 2 } }, { age: { $in: 25 } }];
  for (const filter of filters) expect(await rejectionOf(people.deleteMany(filter))).toBeInstanceOf(UnsupportedQueryError);
  const updates: unknown[] = [{ $rename: { name: 'title' } }, { name: 'Replaced' }, { $set: { 'tags.$': 'x' } }];
  for (const update of updates)
    expect(await rejectionOf(people.updateOne({ _id: 'p1' }, update as Update))).toBeInstanceOf(UnsupportedQueryError);
  // A value mongoose cannot cast to the schema's type is refused rather than sent.
  expect(await rejectionOf(people.find({ age: 'old' }))).toBeInstanceOf(UnsupportedQueryError);
  expect(await people.count({})).toBe(5);
  expect((await people.findById('p1'))?.name).toBe('Ada');
});

it('treats operators that do not fit the document as validation errors, as the embedded adapter does', async () => {
  const store = openStore();
  const people = store.collection(peopleSpec);
  await store.start();
  await people.insertMany(seedPeople());
  expect(await rejectionOf(people.updateOne({ _id: 'p1' }, { $inc: { name: 1 } }))).toBeInstanceOf(DocumentValidationError);
  expect(await rejectionOf(people.updateOne({ _id: 'p1' }, { $set: { _id: 'other' } }))).toBeInstanceOf(DocumentValidationError);
  expect(await people.findById('p1')).toEqual(seedPeople()[0]);
});

it('inserts many all or nothing: a clash part way removes what the call had inserted', async () => {
  const store = openStore();
  const people = store.collection(peopleSpec);
  const accounts = store.collection(accountsSpec);
  await store.start();
  await people.insertOne(person('p1', { email: 'taken@x' }));
  const clash = await rejectionOf(people.insertMany([person('n1'), person('n2', { email: 'new@x' }), person('n3', { email: 'taken@x' })]));
  expect(clash).toBeInstanceOf(DuplicateKeyError);
  expect((clash as DuplicateKeyError).index).toBe('email_1');
  expect(await people.count({})).toBe(1);
  // The same through the code check (two documents without a handle on a plain unique index).
  expect(await rejectionOf(accounts.insertMany([{ _id: 'a1', handle: 'x' }, { _id: 'a2' }, { _id: 'a3' }]))).toBeInstanceOf(
    DuplicateKeyError,
  );
  expect(await accounts.count({})).toBe(0);
});

it('keeps the revision token out of returned documents and reads documents written by other tools', async () => {
  const store = openStore();
  const people = store.collection(peopleSpec);
  await store.start();
  await people.insertOne(person('p1'));
  const raw = await withConnection(MONGO_URL, async (connection) => {
    const rows = connection.useDb(dbName).collection<{ _id: string; [field: string]: unknown }>('people');
    await rows.insertOne({ _id: 'foreign', name: 'From elsewhere', tags: [], items: [], createdAt: new Date(0), score: 1, __v: 0 });
    return rows.findOne({ _id: 'p1' });
  });
  expect(raw).toHaveProperty('__rev');
  expect(await people.findById('p1')).toEqual(person('p1'));
  expect(await people.findById('foreign')).toEqual({
    _id: 'foreign',
    name: 'From elsewhere',
    tags: [],
    items: [],
    createdAt: new Date(0),
    score: 1,
  });
  expect(await people.updateOne({ _id: 'foreign' }, { $inc: { score: 1 } })).toEqual({ matchedCount: 1, modifiedCount: 1 });
  expect((await people.findById('foreign'))?.score).toBe(2);
});

it('loses no update when two stores (two processes) update one document concurrently', async () => {
  const [first, second] = [openStore(), openStore()];
  const a = first.collection(peopleSpec);
  const b = second.collection(peopleSpec);
  await Promise.all([first.start(), second.start()]);
  await a.insertOne(person('hot'));
  const increments = Array.from({ length: 15 }, () => [
    a.updateOne({ _id: 'hot' }, { $inc: { score: 1 } }),
    b.updateOne({ _id: 'hot' }, { $push: { tags: 'b' }, $inc: { score: 1 } }),
  ]);
  await Promise.all(increments.flat());
  const hot = await a.findById('hot');
  expect(hot?.score).toBe(30);
  expect(hot?.tags).toHaveLength(15);
});

it('creates indexes idempotently, keeps compound sparse and array unique indexes working, and logs refused options', async () => {
  const logger = recordingLogger();
  const store = openStore(logger);
  await store.start();
  // Registered after start: its indexes are created before its first operation runs.
  const seats = store.collection(seatsSpec);
  await seats.insertMany([
    { _id: 's1', room: 'A' },
    { _id: 's2', room: 'A' },
    { _id: 's3', room: 'A', seat: 1, labels: ['x', 'y'] },
  ]);
  expect(await rejectionOf(seats.insertOne({ _id: 's4', room: 'A', seat: 1 }))).toMatchObject({ index: 'room_1_seat_1' });
  expect(await rejectionOf(seats.insertOne({ _id: 's5', labels: ['z', 'y'] }))).toMatchObject({ index: 'labels_1' });
  expect(await rejectionOf(seats.updateOne({ _id: 's2' }, { $push: { labels: 'x' } }))).toMatchObject({ index: 'labels_1' });
  const refused = logger.entries.filter((entry) => entry.level === 'warn' && entry.msg.includes('refused'));
  // A server with partial indexes (MongoDB) logs nothing; FerretDB refuses partialFilterExpression.
  for (const entry of refused) expect(entry.obj).toMatchObject({ index: 'room_1_seat_1', option: 'partialFilterExpression' });
  // A second store (a restarted service) finds the indexes in place and uses them.
  const again = openStore();
  const seatsAgain = again.collection(seatsSpec);
  await again.start();
  expect(await rejectionOf(seatsAgain.insertOne({ _id: 's6', room: 'A', seat: 1 }))).toBeInstanceOf(DuplicateKeyError);
  expect(await seatsAgain.count({})).toBe(3);
});

it('has an explicit lifecycle: unreachable server, use before start, stop twice', async () => {
  const unreachable = testMongoStore(dbName, { uri: 'mongodb://127.0.0.1:1', serverSelectionTimeoutMS: 300 });
  expect(await rejectionOf(unreachable.start())).toBeInstanceOf(DocumentStoreUnavailableError);
  const store = openStore();
  const people = store.collection(peopleSpec);
  expect(await rejectionOf(people.findById('p1'))).toBeInstanceOf(Error);
  await store.start();
  await people.insertOne(person('p1'));
  await store.stop();
  await store.stop();
  expect(await rejectionOf(people.findById('p1'))).toBeInstanceOf(Error);
  expect(await rejectionOf(store.start())).toBeInstanceOf(Error);
});
