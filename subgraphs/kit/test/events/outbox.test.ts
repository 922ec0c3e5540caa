import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEventBus } from '../../src/events';
import { outboxOutageScenario } from './outboxOutage';

describe('outbox with the embedded bus', () => {
  it('keeps 100 writes and their events while the bus is stopped, then delivers each once with one effect', async () => {
    const busDir = mkdtempSync(join(tmpdir(), 'chatgraph-outbox-bus-'));
    try {
      await outboxOutageScenario({
        openBus: async () => {
          const bus = createEmbeddedEventBus({ dataDir: busDir });
          await bus.start();
          return bus;
        },
        // The embedded bus lives in the process: the outage is the relay and the bus stopping.
        outage: async ({ relay, bus }) => {
          await relay.stop();
          await bus.stop();
        },
        restore: async () => true,
      });
    } finally {
      rmSync(busDir, { recursive: true, force: true });
    }
  });
});
