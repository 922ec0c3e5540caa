import { createEmbeddedStore } from '../../src/store';
import { describeDocumentStoreContract } from './contract';
import { removeDir, tempDataDir } from './helpers';

describeDocumentStoreContract('embedded', async () => {
  const dataDir = tempDataDir();
  return { store: createEmbeddedStore({ dataDir }), cleanup: async () => removeDir(dataDir) };
});

// The same contract with compaction after nearly every batch, so snapshots are exercised too.
describeDocumentStoreContract('embedded, compacting constantly', async () => {
  const dataDir = tempDataDir();
  return { store: createEmbeddedStore({ dataDir, compaction: { minBytes: 0, ratio: 1 } }), cleanup: async () => removeDir(dataDir) };
});
