import path from 'node:path';
import { createEmbeddedEventBus } from '../../src/events';
import { createEmbeddedSearchIndex } from '../../src/search';
import { crashDefinition, crashDocument } from './indexingCrashFixtures';

/**
 * Child process of the indexing crash test (run with `node --import tsx`): consumes a topic into
 * the embedded search index as search's consumer does (one `upsert` per event, the offset
 * committed once the handler returns), and prints `indexed <n>` as its handler returns, until
 * the parent SIGKILLs it.
 */
async function main(): Promise<void> {
  const [dataDir, topic, groupId] = process.argv.slice(2);
  if (!dataDir || !topic || !groupId) throw new Error('usage: indexingCrashChild <dataDir> <topic> <groupId>');
  const bus = createEmbeddedEventBus({ dataDir: path.join(dataDir, 'events'), partitions: 2 });
  const index = createEmbeddedSearchIndex({ definition: crashDefinition, dataDir: path.join(dataDir, 'search') });
  await bus.start();
  await index.start();
  await bus.subscribe({
    groupId,
    topics: [topic],
    handler: async (delivery) => {
      const n = (delivery.event.payload as { n: number }).n;
      await index.upsert([crashDocument(n)]);
      process.stdout.write(`indexed ${n}\n`);
    },
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
