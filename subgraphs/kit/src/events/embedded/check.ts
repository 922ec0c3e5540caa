import { copyFile, rename, stat } from 'node:fs/promises';
import { DatabaseSync, type SQLOutputValue } from 'node:sqlite';
import { join } from 'node:path';
import type { DataCheckReport } from '../../dataCheck';
import { createLogger } from '../../logger';
import { errorCode, fsyncDir, removeIfExists } from '../../store/embedded/files';
import { acquireLock } from '../../store/embedded/lock';
import { DB_FILE, EventDb, rowToRecord, type StoredRecord } from './eventDb';
import { manifestOf, readManifest, writeManifest, type Manifest } from './manifest';

/**
 * Checks (and with `repair`, repairs) the embedded event log of a bus directory: SQLite's own
 * integrity check, every record's CRC, and a database that the manifest says should exist.
 * Repair copies the damaged files to `events.db.damaged-<time>`, rebuilds the database from
 * every record still readable and intact, and lists each record it could not keep. Offsets are
 * never handed out twice: each partition's high-water mark after a repair is the highest of the
 * stored mark, the manifest's, every surviving record's and every group's committed offset.
 */

const REPAIR_HINT = 'run `chatgraph check --repair` (keeps a backup, recovers the last good state and lists what was lost)';

/** The event log cannot be opened as it is: the bus refuses to start. */
export class EventLogDamagedError extends Error {
  constructor(readonly report: DataCheckReport) {
    super(`event log ${report.file} is damaged: ${report.problems.slice(0, 3).join('; ')}${report.problems.length > 3 ? ` (and ${report.problems.length - 3} more)` : ''}. To repair: ${REPAIR_HINT}`);
    this.name = 'EventLogDamagedError';
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Finds what is wrong with `events.db` (empty when nothing is). Reads the records one at a time. */
export async function findProblems(dir: string): Promise<string[]> {
  const path = join(dir, DB_FILE);
  if (!(await exists(path))) {
    return (await readManifest(dir)) ? [`${DB_FILE} is missing, but ${dir} held an event log (events.json)`] : [];
  }
  let db: DatabaseSync | undefined;
  const problems: string[] = [];
  try {
    db = new DatabaseSync(path);
    for (const row of db.prepare('PRAGMA quick_check').iterate()) {
      const line = String(Object.values(row)[0]);
      if (line !== 'ok') problems.push(`SQLite integrity check: ${line}`);
    }
    for (const row of db.prepare('SELECT topic, part, seq, key, value, headers, timestamp, crc FROM records').iterate()) {
      const { record, ok } = rowToRecord(row);
      if (!ok) problems.push(`record ${record.topic}[${record.partition}]@${record.offset} is damaged (checksum mismatch)`);
    }
  } catch (error) {
    problems.push(`cannot read ${DB_FILE}: ${message(error)}`);
  } finally {
    if (db?.isOpen) db.close();
  }
  return problems;
}

/** Per topic-partition: the highest of every mark known. */
class Marks {
  readonly high = new Map<string, number>();
  readonly low = new Map<string, number>();
  readonly partitions = new Map<string, number>();

  raise(topic: string, partition: number, next: number): void {
    const id = `${topic}\0${partition}`;
    this.high.set(id, Math.max(this.high.get(id) ?? 0, next));
  }

  add(manifest: Manifest | undefined): void {
    if (!manifest) return;
    for (const [topic, count] of Object.entries(manifest.topics)) if (!this.partitions.has(topic)) this.partitions.set(topic, count);
    for (const [topic, parts] of Object.entries(manifest.highWater)) for (const [partition, next] of Object.entries(parts)) this.raise(topic, Number(partition), next);
    for (const topics of Object.values(manifest.groups)) for (const [topic, parts] of Object.entries(topics)) for (const [partition, next] of Object.entries(parts)) this.raise(topic, Number(partition), next);
  }
}

/** Runs `read` and returns its rows, or [] and a note in `lost` when the table cannot be read. */
function tryRows(db: DatabaseSync | undefined, sql: string, lost: string[], what: string): Array<Record<string, SQLOutputValue>> {
  if (!db) return [];
  try {
    return db.prepare(sql).all();
  } catch (error) {
    lost.push(`${what}: unreadable (${message(error)})`);
    return [];
  }
}

/** Copies every readable, intact record of one partition; returns the offsets found (in order) and notes skipped ranges in `lost`. */
function copyPartition(old: DatabaseSync, fresh: EventDb, topic: string, partition: number, high: number, lost: string[]): number {
  const read = old.prepare('SELECT topic, part, seq, key, value, headers, timestamp, crc FROM records WHERE topic = ? AND part = ? AND seq >= ? ORDER BY seq');
  let from = 0;
  let last = -1;
  let skip = 1;
  while (from < Math.max(high, last + 2)) {
    try {
      const batch: Array<{ partition: number; record: StoredRecord }> = [];
      for (const row of read.iterate(topic, partition, from)) {
        const { record, ok } = rowToRecord(row);
        from = record.offset + 1;
        last = Math.max(last, record.offset);
        if (ok) batch.push({ partition, record });
        else lost.push(`${topic}[${partition}]@${record.offset} (checksum mismatch)`);
        if (batch.length >= 1000) fresh.insert(topic, batch.splice(0));
      }
      fresh.insert(topic, batch);
      return last;
    } catch (error) {
      // A damaged page: step over it, further each time, until the B-tree lets us read again.
      lost.push(`${topic}[${partition}] offsets from ${from}: unreadable page (${message(error)}), skipped ${skip}`);
      from += skip;
      skip *= 2;
    }
  }
  return last;
}

/** Rebuilds `events.db` from what is readable; returns what was lost. */
async function repair(dir: string): Promise<{ lost: string[]; backup: string }> {
  const path = join(dir, DB_FILE);
  const backup = `${path}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const lost: string[] = [];
  const marks = new Marks();
  marks.add(await readManifest(dir));
  let old: DatabaseSync | undefined;
  if (await exists(path)) {
    await copyFile(path, backup);
    for (const suffix of ['-wal', '-shm']) if (await exists(`${path}${suffix}`)) await copyFile(`${path}${suffix}`, `${backup}${suffix}`);
    try {
      old = new DatabaseSync(path);
    } catch (error) {
      lost.push(`${DB_FILE}: cannot be opened (${message(error)}): every record in it`);
    }
  } else {
    lost.push(`${DB_FILE}: missing: every record in it (offsets restored from events.json)`);
  }
  const temp = `${path}.repair`;
  await removeIfExists(temp);
  const fresh = EventDb.open(temp);
  try {
    fresh.db.exec('BEGIN');
    for (const row of tryRows(old, 'SELECT topic, partitions FROM topics', lost, 'topic list')) marks.partitions.set(String(row.topic), Number(row.partitions));
    for (const row of tryRows(old, 'SELECT topic, part, low, high FROM marks', lost, 'offset high-water marks')) {
      marks.raise(String(row.topic), Number(row.part), Number(row.high));
      marks.low.set(`${String(row.topic)}\0${Number(row.part)}`, Number(row.low));
    }
    const offsets = tryRows(old, 'SELECT group_id, topic, part, next FROM group_offsets', lost, 'committed group offsets');
    const manifest = await readManifest(dir);
    const upsertOffset = fresh.db.prepare('INSERT INTO group_offsets (group_id, topic, part, next) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET next = MAX(next, excluded.next)');
    for (const row of offsets) {
      upsertOffset.run(String(row.group_id), String(row.topic), Number(row.part), Number(row.next));
      marks.raise(String(row.topic), Number(row.part), Number(row.next));
    }
    if (offsets.length === 0 && manifest) {
      for (const [group, topics] of Object.entries(manifest.groups)) for (const [topic, parts] of Object.entries(topics)) for (const [partition, next] of Object.entries(parts)) upsertOffset.run(group, topic, Number(partition), next);
    }
    for (const [topic, partitions] of marks.partitions) {
      fresh.createTopic(topic, partitions);
      for (let partition = 0; partition < partitions; partition++) {
        const id = `${topic}\0${partition}`;
        const last = old ? copyPartition(old, fresh, topic, partition, marks.high.get(id) ?? 0, lost) : -1;
        marks.raise(topic, partition, last + 1);
        const high = marks.high.get(id) ?? 0;
        // Records between the last one kept and the mark were handed out and are gone (retention only deletes below `low`).
        const firstLost = Math.max(last + 1, marks.low.get(id) ?? 0);
        if (firstLost < high) lost.push(`${topic}[${partition}] offsets ${firstLost}..${high - 1} (missing)`);
        fresh.db.prepare('INSERT INTO marks (topic, part, low, high) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET high = MAX(high, excluded.high)').run(topic, partition, marks.low.get(id) ?? 0, high);
      }
    }
    fresh.setMeta('repaired', new Date().toISOString());
    fresh.db.exec('COMMIT');
    await writeManifest(dir, manifestOf(fresh));
  } finally {
    if (old?.isOpen) old.close();
    fresh.close();
  }
  // The old WAL belongs to the old file: it must not be replayed into the rebuilt one.
  await removeIfExists(`${path}-wal`);
  await removeIfExists(`${path}-shm`);
  await rename(temp, path);
  await fsyncDir(dir);
  return { lost, backup };
}

/**
 * Checks the embedded event log in `dir` (a bus's data directory, e.g. `.data/events`) and,
 * with `repair`, rebuilds it to its last good state. Takes the directory's lock, so it refuses
 * to run while a bus uses the directory.
 */
export async function checkEventLog(dir: string, options: { repair: boolean }): Promise<DataCheckReport[]> {
  const file = join(dir, DB_FILE);
  const lock = await acquireLock(dir, createLogger({ name: 'event-log-check', level: 'silent' }));
  try {
    const problems = await findProblems(dir);
    if (problems.length === 0 || !options.repair) return [{ file, ok: problems.length === 0, problems, repaired: false, lost: [] }];
    const { lost, backup } = await repair(dir);
    return [{ file, ok: false, problems, repaired: true, lost, backup }];
  } finally {
    await lock.release();
  }
}
