import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, fsyncDir } from '../../durability/files';
import type { EventDb } from './eventDb';

/**
 * `events.json`, next to `events.db`: says the directory holds an event log (so a missing
 * database is reported, not silently replaced by an empty one) and keeps a copy of every
 * partition's offset high-water mark and every group's committed offsets as of the last clean
 * stop, from which a repair rebuilds offsets when the database itself is gone. Marks and
 * offsets are taken together, so a group never sits above the marks a repair restores.
 */

export const MANIFEST_FILE = 'events.json';

export interface Manifest {
  format: 'chatgraph-event-log';
  version: 1;
  /** topic -> partition -> next offset to hand out. */
  highWater: Record<string, Record<string, number>>;
  /** group -> topic -> partition -> next offset to handle. */
  groups: Record<string, Record<string, Record<string, number>>>;
  /** topic -> partition count. */
  topics: Record<string, number>;
}

export async function readManifest(dir: string): Promise<Manifest | undefined> {
  try {
    const value = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as Partial<Manifest> | null;
    if (value?.format !== 'chatgraph-event-log') return undefined;
    return {
      format: 'chatgraph-event-log',
      version: 1,
      highWater: value.highWater ?? {},
      groups: value.groups ?? {},
      topics: value.topics ?? {},
    };
  } catch (error) {
    // A damaged manifest only loses what a repair could restore from it; the database is the truth.
    if (errorCode(error) === 'ENOENT' || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** The manifest of what `db` holds now. */
export function manifestOf(db: EventDb): Manifest {
  const manifest: Manifest = { format: 'chatgraph-event-log', version: 1, highWater: {}, groups: {}, topics: {} };
  for (const row of db.db.prepare('SELECT topic, partitions FROM topics').iterate())
    manifest.topics[String(row.topic)] = Number(row.partitions);
  for (const row of db.db.prepare('SELECT topic, part, high FROM marks').iterate())
    (manifest.highWater[String(row.topic)] ??= {})[String(row.part)] = Number(row.high);
  for (const row of db.db.prepare('SELECT group_id, topic, part, next FROM group_offsets').iterate()) {
    ((manifest.groups[String(row.group_id)] ??= {})[String(row.topic)] ??= {})[String(row.part)] = Number(row.next);
  }
  return manifest;
}

/** Writes the manifest atomically (temp file, rename, directory fsync). */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  const path = join(dir, MANIFEST_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(manifest), { flush: true });
  await rename(`${path}.tmp`, path);
  await fsyncDir(dir);
}
