import { join } from 'node:path';
import { createEmbeddedEventBus } from '../../src/events';
import { createEmbeddedStore } from '../../src/store';
import { peopleSpec } from './contractFixtures';

/**
 * Child process of the container-restart test (run as pid 1 of its own pid namespace): opens an
 * embedded store and event bus under `<dataDir>`, prints `ready <pid>`, and either waits to be
 * SIGKILLed (`hold`) or stops them cleanly and exits 0 (`once`). A refused start prints the error
 * and exits 1.
 */
async function main(): Promise<void> {
  const [dataDir, mode] = process.argv.slice(2);
  if (!dataDir || (mode !== 'hold' && mode !== 'once')) throw new Error('usage: lockRestartChild <dataDir> hold|once');
  const store = createEmbeddedStore({ dataDir: join(dataDir, 'store') });
  store.collection(peopleSpec);
  const bus = createEmbeddedEventBus({ dataDir: join(dataDir, 'events') });
  await store.start();
  await bus.start();
  process.stdout.write(`ready ${process.pid}\n`);
  if (mode === 'hold') {
    setInterval(() => undefined, 1000);
    return;
  }
  await bus.stop();
  await store.stop();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
