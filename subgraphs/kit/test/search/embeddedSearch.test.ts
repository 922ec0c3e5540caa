import { createEmbeddedSearchIndex } from '../../src/search';
import { describeSearchContract } from './contract';

describeSearchContract('embedded', async (definition) => ({
  index: createEmbeddedSearchIndex({ definition }),
  cleanup: async () => undefined,
}));
