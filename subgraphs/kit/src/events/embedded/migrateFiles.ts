import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../../logger';
import { exists, fsyncDir } from '../../durability/files';
import type { EventHeaders } from '../port';
import type { EventDb, LogRecord } from './eventDb';

/**
 * Imports a bus directory written before SQLite (`topics/<topic>.log` JSON lines after a header
 * line, `groups/<group>.json` committed offsets) into the database, in one transaction, then
 * moves the old files to `pre-sqlite-backup/` (kept, never deleted). Files are streamed line by
 * line, never read whole. A torn last line is an unacknowledged write and is skipped, as the
 * old reader did; any other unreadable line stops the import with the file and line.
 */

export const LEGACY_BACKUP_DIR = 'pre-sqlite-backup';

interface Line {
  p: number;
  o: number;
  k: string;
  v: string;
  h: EventHeaders;
  t: number;
}

function parseLine(text: string): Line | undefined {
  try {
    const value = JSON.parse(text) as Partial<Line> | null;
    if (!value || typeof value.p !== 'number' || typeof value.o !== 'number' || typeof value.k !== 'string' || typeof value.v !== 'string')
      return undefined;
    if (typeof value.h !== 'object' || value.h === null || typeof value.t !== 'number') return undefined;
    return value as Line;
  } catch {
    return undefined;
  }
}

/** True when `dir` still holds files of the old format. */
export async function hasLegacyFiles(dir: string): Promise<boolean> {
  return (await exists(join(dir, 'topics'))) || (await exists(join(dir, 'groups')));
}

/** Imports one topic file; returns the records imported. */
async function importTopic(db: EventDb, path: string): Promise<number> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let topic: string | undefined;
  let partitions = 0;
  let next: number[] = [];
  let lineNo = 0;
  let bad: number | undefined;
  let batch: Array<{ partition: number; record: LogRecord }> = [];
  let imported = 0;
  for await (const text of lines) {
    lineNo++;
    if (lineNo === 1) {
      const header = JSON.parse(text) as { topic?: unknown; partitions?: unknown };
      if (typeof header.topic !== 'string' || typeof header.partitions !== 'number' || header.partitions < 1)
        throw new Error(`cannot migrate event log ${path}: bad header line`);
      topic = header.topic;
      partitions = header.partitions;
      next = Array.from({ length: partitions }, () => 0);
      db.createTopic(topic, partitions);
      continue;
    }
    // An unreadable line is only acceptable as the very last one (a torn write).
    if (bad !== undefined)
      throw new Error(
        `cannot migrate event log ${path}: line ${bad} is corrupt (not the last line); repair or remove it, then start again`,
      );
    const line = parseLine(text);
    if (!line || line.o !== next[line.p]) {
      bad = lineNo;
      continue;
    }
    next[line.p] = line.o + 1;
    batch.push({ partition: line.p, record: { offset: line.o, key: line.k, value: line.v, headers: line.h, timestamp: line.t } });
    if (batch.length >= 1000) {
      db.insert(topic ?? '', batch);
      imported += batch.length;
      batch = [];
    }
  }
  if (topic === undefined) return 0; // never used: the old bus created it on first use
  db.insert(topic, batch);
  return imported + batch.length;
}

/** Imports the old files (if any) and moves them to the backup directory. */
export async function migrateLegacyFiles(dir: string, db: EventDb, logger: Logger): Promise<void> {
  if (!(await hasLegacyFiles(dir))) return;
  const topicsDir = join(dir, 'topics');
  const groupsDir = join(dir, 'groups');
  if (db.meta('migrated-from-files') === undefined) {
    db.db.exec('BEGIN IMMEDIATE');
    try {
      let records = 0;
      const topicFiles = (await exists(topicsDir)) ? (await readdir(topicsDir)).filter((name) => name.endsWith('.log')) : [];
      for (const name of topicFiles) records += await importTopic(db, join(topicsDir, name));
      const groupFiles = (await exists(groupsDir)) ? (await readdir(groupsDir)).filter((name) => name.endsWith('.json')) : [];
      for (const name of groupFiles) {
        const offsets = JSON.parse(await readFile(join(groupsDir, name), 'utf8')) as Record<string, Record<string, number>>;
        const entries = Object.entries(offsets).flatMap(([topic, parts]) =>
          Object.entries(parts).map(([partition, next]) => ({ topic, partition: Number(partition), next })),
        );
        const upsert = db.db.prepare(
          'INSERT INTO group_offsets (group_id, topic, part, next) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET next = excluded.next',
        );
        for (const entry of entries) upsert.run(name.slice(0, -'.json'.length), entry.topic, entry.partition, entry.next);
      }
      db.setMeta('migrated-from-files', new Date().toISOString());
      db.db.exec('COMMIT');
      // Durable before the old files are moved aside.
      await db.syncWal();
      logger.info({ dir, topics: topicFiles.length, groups: groupFiles.length, records }, 'imported the event log files into events.db');
    } catch (error) {
      if (db.db.isTransaction) db.db.exec('ROLLBACK');
      throw error;
    }
  }
  // Imported (now, or by a start that crashed before this step): keep the old files aside.
  const backup = join(dir, LEGACY_BACKUP_DIR);
  await mkdir(backup, { recursive: true });
  for (const name of ['topics', 'groups']) if (await exists(join(dir, name))) await rename(join(dir, name), join(backup, name));
  await fsyncDir(dir);
}
