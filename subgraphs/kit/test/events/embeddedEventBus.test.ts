import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEventBus } from '../../src/events';
import { describeEventBusContract } from './contract';

describeEventBusContract('embedded', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatgraph-bus-'));
  return {
    create: () => createEmbeddedEventBus({ dataDir }),
    cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
});
