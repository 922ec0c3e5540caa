import { GraphQLError } from 'graphql';
import { formatError } from '../../src/errorMasking';
import { DocumentStoreUnavailableError, type DocumentStore } from '../../src/store';
import { CuttingProxy } from './cuttingProxy';
import { person, peopleSpec, rejectionOf } from './contractFixtures';
import { dropDatabase, MONGO_URL, requireMongo, testMongoStore, uniqueDbName } from './mongoSupport';

/**
 * A connection lost in the middle of a write (the server crashed or restarted, the network path
 * dropped) is an outage, whatever the operation: the store throws `DocumentStoreUnavailableError`
 * and a GraphQL client gets `UNAVAILABLE` (retry later), never `INTERNAL`. A bulk insert is the
 * case that broke: the driver wraps the network error in a `MongoBulkWriteError`, which is not a
 * network error class itself. The connection is cut by a proxy in front of the real server, once
 * the client has sent part of the write, so the cut lands mid-write every time.
 */

const dbName = uniqueDbName('kit_store_cut');
let proxy: CuttingProxy;
let store: DocumentStore;

beforeAll(async () => {
  await requireMongo();
  proxy = await CuttingProxy.start(MONGO_URL);
  store = testMongoStore(dbName, { uri: `mongodb://127.0.0.1:${proxy.port}` });
  store.collection(peopleSpec);
  await store.start();
});

afterAll(async () => {
  await store.stop();
  await proxy.stop();
  await dropDatabase(dbName);
});

/** What a GraphQL client receives for `error` thrown by a resolver. */
function clientCode(error: unknown): unknown {
  const graphqlError = new GraphQLError('resolver failed', {
    path: ['sendMessage'],
    originalError: error instanceof Error ? error : new Error(String(error)),
  });
  return formatError(graphqlError.toJSON(), graphqlError).extensions?.code;
}

/** `count` people with ids `<prefix>-<n>`, each with about 1 KB of tags (a bulk insert of several messages). */
function people(prefix: string, count: number): ReturnType<typeof person>[] {
  return Array.from({ length: count }, (_, n) =>
    person(`${prefix}-${n}`, { tags: Array.from({ length: 16 }, (__, t) => `tag-${t}-${'x'.repeat(56)}`) }),
  );
}

it('a bulk insert whose connection closes mid-write fails UNAVAILABLE, also after the pool was reset, and the store answers again right after', async () => {
  const collection = store.collection(peopleSpec);
  await collection.insertOne(person('before'));
  // About 2 MB to send: its connection is held with the write in flight…
  const frozen = proxy.freezeWhenSent(256 * 1024);
  const bulk = rejectionOf(collection.insertMany(people('bulk', 2000)));
  const connection = await frozen;
  // …while every other connection drops (the server went away), which resets the driver's pool:
  // the driver labels only the first error of an outage as a pool reset, not those of the
  // connections already stale (the case the fault suite's document server restart hit).
  // A read on another connection loses it mid-request and resets the pool (the driver retries
  // the read on a new connection); the bulk insert's connection is stale from then on.
  const nextRequest = proxy.freezeWhenSent(1);
  const read = collection.count({});
  (await nextRequest).cut();
  // The read answers (retried on a new connection); it may already see the bulk insert's first
  // batches, which the server committed before the frozen one.
  expect(await read).toBeGreaterThanOrEqual(1);
  connection.cut();
  const error = await bulk;
  expect(error).toBeInstanceOf(DocumentStoreUnavailableError);
  expect(clientCode(error)).toBe('UNAVAILABLE');
  // Retryable: the driver reconnects on its own, and the same kind of write goes through.
  await collection.insertMany(people('retried', 200));
  expect(await collection.count({ _id: { $in: ['before', 'retried-0', 'retried-199'] } })).toBe(3);
});

it('a single write whose connection closes mid-request fails UNAVAILABLE too', async () => {
  const collection = store.collection(peopleSpec);
  await collection.insertOne(person('single'));
  const big = { tags: Array.from({ length: 4000 }, (_, t) => `tag-${t}-${'y'.repeat(40)}`) };
  const frozen = proxy.freezeWhenSent(64 * 1024);
  const update = rejectionOf(collection.updateOne({ _id: 'single' }, { $set: big }));
  (await frozen).cut();
  const error = await update;
  expect(error).toBeInstanceOf(DocumentStoreUnavailableError);
  expect(clientCode(error)).toBe('UNAVAILABLE');
});
