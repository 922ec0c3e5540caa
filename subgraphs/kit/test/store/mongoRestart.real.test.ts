import { rmSync } from 'node:fs';
import { DocumentStoreUnavailableError, type DocumentStore } from '../../src/store';
import { person, peopleSpec, rejectionOf } from './contractFixtures';
import { RESTART_MONGO_URL, restartInfraDir, restartServerScript, testMongoStore, uniqueDbName } from './mongoSupport';

/**
 * The MongoDB adapter across a server restart: the server is stopped with
 * `scripts/infra/mongo.sh down` and started again with `up` on the same data directory, while the
 * store keeps running. It uses a FerretDB of its own (MONGO_RESTART_PORT, default 27028) so the
 * shared server other real tests use is never stopped.
 */

let store: DocumentStore | undefined;

beforeAll(async () => {
  await restartServerScript('up');
});

afterAll(async () => {
  await store?.stop();
  await restartServerScript('down');
  rmSync(restartInfraDir, { recursive: true, force: true });
});

/** Waits (bounded) until `ping()` answers again: the driver rediscovers the server on its own. */
async function pingUntilUp(target: DocumentStore, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      await target.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

it('fails with DocumentStoreUnavailableError while the server is down, recovers by itself, and keeps what was acknowledged', async () => {
  store = testMongoStore(uniqueDbName('kit_store_restart'), { uri: RESTART_MONGO_URL });
  const people = store.collection(peopleSpec);
  await store.start();
  const ids = Array.from({ length: 30 }, (_, i) => `r${i}`);
  await people.insertMany(ids.map((id) => person(id, { tags: ['restart'] })));
  await Promise.all(ids.map((id, i) => people.updateOne({ _id: id }, { $inc: { score: i } })));
  await people.deleteOne({ _id: 'r0' });

  try {
    await restartServerScript('down');
    expect(await rejectionOf(store.ping())).toBeInstanceOf(DocumentStoreUnavailableError);
    expect(await rejectionOf(people.insertOne(person('during-outage')))).toBeInstanceOf(DocumentStoreUnavailableError);
    expect(await rejectionOf(people.find({ tags: 'restart' }))).toBeInstanceOf(DocumentStoreUnavailableError);
  } finally {
    // Up again even if an expectation failed, so afterAll and later runs find it as they expect.
    await restartServerScript('up');
  }

  await pingUntilUp(store, 60_000);
  const found = await people.find({ tags: 'restart' }, { sort: { _id: 1 } });
  expect(found.map((doc) => doc._id)).toEqual(ids.slice(1).sort());
  expect(found.every((doc) => doc.score === Number(doc._id.slice(1)))).toBe(true);
  expect(await people.findById('during-outage')).toBeNull();
  await people.insertOne(person('after-outage'));
  expect(await people.count({})).toBe(30);
});
