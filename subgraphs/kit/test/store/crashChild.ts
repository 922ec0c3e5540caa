import { createEmbeddedStore } from '../../src/store';
import { peopleSpec, person } from './contractFixtures';

/**
 * Child process for the crash test (run with `node --import tsx`): writes as fast as it can from
 * several concurrent writers, with compaction after nearly every batch, and prints one line per
 * acknowledged operation until the parent SIGKILLs it.
 *   insert <id>      the document was inserted
 *   delete <id>      the document was deleted
 *   counter <n>      the shared counter reached n
 */
async function main(): Promise<void> {
  const [dataDir, round] = process.argv.slice(2);
  if (!dataDir || !round) throw new Error('usage: crashChild <dataDir> <round>');
  const store = createEmbeddedStore({ dataDir, compaction: { minBytes: 0, ratio: 2 } });
  const people = store.collection(peopleSpec);
  await store.start();
  await people.updateOne({ _id: 'counter' }, { $setOnInsert: { name: 'counter', createdAt: new Date(0) } }, { upsert: true });
  process.stdout.write('ready\n');
  let next = 0;
  const writer = async (w: number): Promise<void> => {
    for (;;) {
      const n = next++;
      const id = `${round}-${w}-${n}`;
      await people.insertOne(person(id, { tags: [`w${w}`] }));
      process.stdout.write(`insert ${id}\n`);
      const counter = await people.findOneAndUpdate({ _id: 'counter' }, { $inc: { score: 1 } }, { returnDocument: 'after' });
      process.stdout.write(`counter ${counter?.score ?? -1}\n`);
      if (n % 5 === 0) {
        await people.deleteOne({ _id: id });
        process.stdout.write(`delete ${id}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
