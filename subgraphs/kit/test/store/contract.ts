import { accountsSpec, membershipsSpec, peopleSpec, type ContractContext, type StoreUnderTest } from './contractFixtures';
import { constraintContract } from './contractConstraints';
import { queryContract } from './contractQueries';
import { writeContract } from './contractWrites';

export type { ContractContext, StoreUnderTest } from './contractFixtures';

/**
 * The behaviour every `DocumentStore` adapter must show, as a reusable jest suite. `makeStore`
 * returns a fresh, empty, not yet started store (the suite registers its collections, then
 * starts it, so indexes exist before the first write) and a `cleanup` run after `stop()`.
 *
 * Usage: `describeDocumentStoreContract('embedded', async () => ({ store, cleanup }))`.
 */
export function describeDocumentStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`DocumentStore contract: ${name}`, () => {
    let current: (StoreUnderTest & ContractContext) | undefined;

    const ctx = (): ContractContext => {
      if (!current) throw new Error('the contract store is not set up');
      return current;
    };

    beforeEach(async () => {
      const made = await makeStore();
      const { store } = made;
      current = {
        ...made,
        people: store.collection(peopleSpec),
        memberships: store.collection(membershipsSpec),
        accounts: store.collection(accountsSpec),
      };
      await store.start();
    });

    afterEach(async () => {
      const done = current;
      current = undefined;
      if (!done) return;
      await done.store.stop();
      await done.cleanup();
    });

    describe('queries', () => queryContract(ctx));
    describe('writes', () => writeContract(ctx));
    describe('constraints', () => constraintContract(ctx));
  });
}
