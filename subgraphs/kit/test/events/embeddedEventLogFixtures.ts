import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createEmbeddedEventBus, type EmbeddedEventBusOptions, type EventBus } from '../../src/events';
import { eventually, recorder, thing } from './helpers';

/** Shared set-up of the embedded event log tests: a directory whose group committed past some records. */

export const GROUP = 'g';

/** Opens a bus on `dataDir` and remembers it for `stopAll`. */
export function opener(dir: () => string, buses: EventBus[]) {
  return async (options: Partial<EmbeddedEventBusOptions> = {}): Promise<EventBus> => {
    const bus = createEmbeddedEventBus({ dataDir: dir(), ...options });
    buses.push(bus);
    await bus.start();
    return bus;
  };
}

/**
 * Publishes `handled` events with one key (one partition, offsets 0..handled-1), lets group `g`
 * handle them all, then publishes `pending` more that `g` has not handled; stops the bus.
 * Returns the partition.
 */
export async function groupPastSomeRecords(open: () => Promise<EventBus>, topic: string, handled = 6, pending = 4): Promise<number> {
  const bus = await open();
  await bus.publish(
    topic,
    Array.from({ length: handled }, (_, n) => thing('a', n)),
  );
  const seen = recorder();
  const subscription = await bus.subscribe({ groupId: GROUP, topics: [topic], handler: seen.handler });
  await eventually(
    async () => (await subscription.lag()).every((partition) => partition.lag === 0) && seen.deliveries.length === handled,
    'g handles everything',
  );
  await subscription.stop();
  await bus.publish(
    topic,
    Array.from({ length: pending }, (_, n) => thing('a', handled + n)),
  );
  await bus.stop();
  return seen.deliveries[0]?.partition ?? -1;
}

/** Runs SQL on the bus's database behind its back (the bus must be stopped). */
export function sql<T>(dataDir: string, work: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(join(dataDir, 'events.db'));
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/** Flips one byte of the stored event id of a record, inside the file, as bit rot would: SQLite still reads it. */
export function rot(dataDir: string, topic: string, partition: number, offset: number): void {
  const value = sql(
    dataDir,
    (db) => db.prepare('SELECT value FROM records WHERE topic = ? AND part = ? AND seq = ?').get(topic, partition, offset)?.value,
  );
  const id = (JSON.parse(String(value)) as { id: string }).id;
  const path = join(dataDir, 'events.db');
  const bytes = readFileSync(path);
  const at = bytes.indexOf(id, 0, 'latin1');
  if (at < 0 || bytes.indexOf(id, at + 1, 'latin1') >= 0) throw new Error('the record is not stored once, in the main file');
  bytes[at] = bytes[at] === 0x30 ? 0x31 : 0x30;
  writeFileSync(path, bytes);
}

/** Offsets named by a report's `lost` lines (`t[p] offset n`, `t[p] offsets a..b`). */
export function lostOffsets(lost: readonly string[]): number[] {
  return lost.flatMap((line) => {
    const range = /offsets? (\d+)(?:\.\.(\d+))?$/.exec(line);
    if (!range) return [];
    const from = Number(range[1]);
    const to = Number(range[2] ?? range[1]);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}
