import {
  contractDefinition,
  newOwner,
  put,
  doc,
  request,
  hitIds,
  type ContractContext,
  type IndexUnderTest,
  type MakeIndex,
} from './contractFixtures';
import { isolationContract } from './contractIsolation';
import { maintenanceContract } from './contractMaintenance';
import { rankingContract } from './contractRanking';
import { readsContract } from './contractReads';
import { writesContract } from './contractWrites';

export type { IndexUnderTest, MakeIndex } from './contractFixtures';

/**
 * The behaviour every `SearchIndex` adapter must show, as a reusable jest suite. `makeIndex`
 * returns a fresh index for the definition, not yet started, and a `cleanup` run after `stop()`.
 * One index serves the whole suite (tests isolate themselves by owner), which keeps the run short
 * against a real server.
 *
 * Usage: `describeSearchContract('embedded', async (definition) => ({ index, cleanup }))`.
 */
export function describeSearchContract(name: string, makeIndex: MakeIndex): void {
  describe(`SearchIndex contract: ${name}`, () => {
    let current: (IndexUnderTest & ContractContext) | undefined;

    const ctx = (): ContractContext => {
      if (!current) throw new Error('the contract index is not set up');
      return current;
    };

    beforeAll(async () => {
      const made = await makeIndex(contractDefinition());
      current = { ...made, make: makeIndex };
      await made.index.start();
    });

    afterAll(async () => {
      const done = current;
      current = undefined;
      if (!done) return;
      await done.index.stop();
      await done.cleanup();
    });

    describe('ranking', () => rankingContract(ctx));
    describe('isolation and filters', () => isolationContract(ctx));
    describe('writes and paging', () => writesContract(ctx));
    describe('reads and backward paging', () => readsContract(ctx));
    describe('embedding maintenance', () => maintenanceContract(ctx));

    it('starts idempotently, answers ping, and stops twice safely', async () => {
      const { index, cleanup } = await makeIndex(contractDefinition({ textFields: { body: 1 }, vectorDims: undefined }));
      try {
        await index.start();
        await index.start();
        await index.ping();
        const owner = newOwner();
        await put(index, [{ ...doc({ id: 'only', ownerId: owner }), text: { body: 'tern' } }]);
        expect(hitIds(await index.search(request(owner, 'keyword', { text: 'tern' })))).toEqual(['only']);
      } finally {
        await index.stop();
        await index.stop();
        await cleanup();
      }
    });
  });
}
