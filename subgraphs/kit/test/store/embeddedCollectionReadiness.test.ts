import { CollectionUnavailableError, createEmbeddedStore, DocumentStoreUnavailableError, type DocumentStore } from '../../src/store';
import { isDependencyUnavailable } from '../../src/dependencyUnavailable';
import { storeDuplicateBadges, uniqueBadges } from './collectionReadiness';
import { bagsSpec, removeDir, tempDataDir } from './helpers';

/**
 * A collection that cannot open makes the store not ready: `start()` refuses when it is
 * registered before, `ping()` (what a service's start and `/readyz` await) when registered after,
 * and its operations fail as "unavailable" (retried by consumers, UNAVAILABLE to clients), never
 * as a plain error that would be dead-lettered or masked as INTERNAL.
 */

let dir: string;
const running: DocumentStore[] = [];

beforeEach(async () => {
  dir = tempDataDir();
  await storeDuplicateBadges(createEmbeddedStore({ dataDir: dir }));
});

afterEach(async () => {
  for (const store of running.splice(0)) await store.stop();
  removeDir(dir);
});

function store(): DocumentStore {
  const created = createEmbeddedStore({ dataDir: dir });
  running.push(created);
  return created;
}

describe('embedded store: a collection that cannot open', () => {
  it('fails start() naming the collection when registered before start', async () => {
    const s = store();
    s.collection(uniqueBadges);
    const failure = await s.start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CollectionUnavailableError);
    expect((failure as Error).message).toMatch(/cannot open collection badges: .*badge_code.*duplicate/);
  });

  it('fails ping() naming the collection when registered after start, and its operations are unavailable', async () => {
    const s = store();
    const bags = s.collection(bagsSpec);
    await s.start();
    await expect(s.ping()).resolves.toBeUndefined();
    const badges = s.collection(uniqueBadges);
    const failure = await s.ping().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CollectionUnavailableError);
    expect((failure as Error).message).toMatch(/cannot open collection badges/);
    const operation = await badges.findById('b1').catch((error: unknown) => error);
    expect(operation).toBeInstanceOf(DocumentStoreUnavailableError);
    expect(isDependencyUnavailable(operation)).toBe(true);
    // The other collections keep serving.
    await expect(bags.insertOne({ _id: 'x', rank: 1 })).resolves.toMatchObject({ _id: 'x' });
  });

  it('refuses operations before start and after stop as unavailable', async () => {
    const s = store();
    const bags = s.collection(bagsSpec);
    await expect(bags.findById('x')).rejects.toBeInstanceOf(DocumentStoreUnavailableError);
    await s.start();
    await s.stop();
    await expect(bags.findById('x')).rejects.toBeInstanceOf(DocumentStoreUnavailableError);
  });
});
