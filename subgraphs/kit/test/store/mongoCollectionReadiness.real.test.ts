import { CollectionUnavailableError, DocumentStoreUnavailableError, type DocumentStore } from '../../src/store';
import { storeDuplicateBadges, uniqueBadges } from './collectionReadiness';
import { bagsSpec } from './helpers';
import { dropDatabase, requireMongo, testMongoStore, uniqueDbName } from './mongoSupport';

/**
 * On a real MongoDB-compatible server (FerretDB): a unique index that cannot be built over
 * existing duplicate documents fails the start, or, for a collection registered after start, the
 * readiness probe (`ping()`), which used to check the connection alone while the failure was
 * only logged.
 */

const dbName = uniqueDbName('collection_readiness');
const running: DocumentStore[] = [];

beforeAll(async () => {
  await requireMongo();
  await storeDuplicateBadges(testMongoStore(dbName));
});

afterEach(async () => {
  for (const store of running.splice(0)) await store.stop();
});

afterAll(() => dropDatabase(dbName));

function store(): DocumentStore {
  const created = testMongoStore(dbName);
  running.push(created);
  return created;
}

describe('MongoDB store: a unique index that cannot be built', () => {
  it('fails start() naming the collection and the index', async () => {
    const s = store();
    s.collection(uniqueBadges);
    const failure = await s.start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CollectionUnavailableError);
    expect((failure as Error).message).toMatch(
      /cannot open collection badges: cannot build unique index badge_code of badges: stored documents already hold duplicate keys/,
    );
  });

  it('fails ping() when the collection is registered after start; its operations are unavailable, the others serve', async () => {
    const s = store();
    const bags = s.collection(bagsSpec);
    await s.start();
    await expect(s.ping()).resolves.toBeUndefined();
    const badges = s.collection(uniqueBadges);
    await expect(s.ping()).rejects.toThrow(/cannot open collection badges: cannot build unique index badge_code/);
    await expect(badges.findById('b1')).rejects.toBeInstanceOf(DocumentStoreUnavailableError);
    await expect(bags.insertOne({ _id: 'x', rank: 1 })).resolves.toMatchObject({ _id: 'x' });
  });
});
