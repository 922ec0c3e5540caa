import { DuplicateKeyError, type DocumentStore } from '../../src/store';
import { CLAIMS_COLLECTION, CLAIM_STALE_MS } from '../../src/store/mongo/claims';
import { person, peopleSpec, rejectionOf } from './contractFixtures';
import { dropDatabase, MONGO_URL, requireMongo, testMongoStore, uniqueDbName, withConnection } from './mongoSupport';

/**
 * Update claims (claims.ts: the compare-and-swap on servers whose updates are not atomic across
 * connections, FerretDB among them) must never leave a document unwritable: a claim whose write
 * failed is given back, and one left by a writer that died is taken over once stale. Both
 * happened in the fault suite: a document server restart cut writes between claim and write, and
 * every later update of those documents (a conversation, a generation) retried for half a minute
 * and gave up, leaving answers open. On MongoDB (no claims) the same expectations hold trivially.
 */

const dbName = uniqueDbName('kit_store_claims');
let store: DocumentStore;

beforeAll(async () => {
  await requireMongo();
  store = testMongoStore(dbName);
  store.collection(peopleSpec);
  await store.start();
});

afterAll(async () => {
  await store.stop();
  await dropDatabase(dbName);
});

/** The claim rows naming document `id` of `people`. */
async function claimsOf(id: string): Promise<Array<{ _id: string }>> {
  return withConnection(MONGO_URL, async (connection) => {
    const rows = connection.useDb(dbName).collection<{ _id: string }>(CLAIMS_COLLECTION);
    const all = await rows.find({}).toArray();
    return all.filter((row) => row._id.startsWith(JSON.stringify(['people', id]).slice(0, -1)));
  });
}

it('gives back the claim of an update whose write failed, so the next update of that document goes through at once', async () => {
  const people = store.collection(peopleSpec);
  await people.insertMany([person('taken', { email: 'taken@example.com' }), person('clasher')]);
  // The write after the claim fails on the unique email index.
  expect(await rejectionOf(people.updateOne({ _id: 'clasher' }, { $set: { email: 'taken@example.com' } }))).toBeInstanceOf(
    DuplicateKeyError,
  );
  expect(await claimsOf('clasher')).toEqual([]);
  await people.updateOne({ _id: 'clasher' }, { $set: { score: 7 } });
  expect((await people.findById('clasher'))?.score).toBe(7);
});

it('takes over a stale claim left by a writer that died between its claim and its write', async () => {
  const people = store.collection(peopleSpec);
  await people.insertOne(person('orphaned'));
  // What a writer SIGKILLed (or cut off by a server restart) after claiming leaves behind.
  await withConnection(MONGO_URL, async (connection) => {
    const db = connection.useDb(dbName);
    const raw = await db.collection<{ _id: string; __rev?: string }>('people').findOne({ _id: 'orphaned' });
    await db
      .collection<{ _id: string; at: Date }>(CLAIMS_COLLECTION)
      .insertOne({ _id: JSON.stringify(['people', 'orphaned', raw?.__rev ?? null]), at: new Date(Date.now() - CLAIM_STALE_MS - 1000) });
  });
  // Before: the update retried the claimed revision 1000 times and gave up ("the document keeps changing").
  await people.updateOne({ _id: 'orphaned' }, { $inc: { score: 1 } });
  expect((await people.findById('orphaned'))?.score).toBe(1);
}, 120_000);
