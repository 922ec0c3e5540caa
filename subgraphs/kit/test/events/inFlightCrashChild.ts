import { createEmbeddedEventBus } from '../../src/events';
import { numberOf } from './helpers';

/**
 * Child process for the in-flight crash test (run with `node --import tsx`): consumes a topic
 * with several records of different keys in flight per partition, each taking a little while,
 * and prints `handled <key> <n>` once a record's handler finished, until the parent SIGKILLs it.
 * Event 0 (the first of its partition) never finishes.
 */
async function main(): Promise<void> {
  const [dataDir, topic, groupId] = process.argv.slice(2);
  if (!dataDir || !topic || !groupId) throw new Error('usage: inFlightCrashChild <dataDir> <topic> <groupId>');
  const bus = createEmbeddedEventBus({ dataDir, partitions: 2 });
  await bus.start();
  await bus.subscribe({
    groupId,
    topics: [topic],
    maxInFlightPerPartition: 8,
    handler: async (delivery) => {
      // Records finish out of offset order, and the very first one never does before the kill:
      // the committed offset must still never pass a record that has not finished.
      if (numberOf(delivery) === 0) await new Promise(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, numberOf(delivery) % 3));
      process.stdout.write(`handled ${delivery.key} ${numberOf(delivery)}\n`);
    },
  });
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
