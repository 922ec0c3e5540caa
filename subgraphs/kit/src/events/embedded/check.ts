import { copyFile, open, rename } from 'node:fs/promises';
import { DatabaseSync, type SQLOutputValue, type StatementSync } from 'node:sqlite';
import { join } from 'node:path';
import type { DataCheckReport } from '../../dataCheck';
import { createLogger } from '../../logger';
import { exists, fsyncDir, removeIfExists } from '../../durability/files';
import { acquireLock } from '../../durability/lock';
import { DB_FILE, EventDb, readStats, rowToRecord, type StoredRecord } from './eventDb';
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
    super(
      `event log ${report.file} is damaged: ${report.problems.slice(0, 3).join('; ')}${report.problems.length > 3 ? ` (and ${report.problems.length - 3} more)` : ''}. To repair: ${REPAIR_HINT}`,
    );
    this.name = 'EventLogDamagedError';
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Records of each partition the start-up check always verifies, counted back from its end (where a crash strikes). */
export const START_CHECK_TAIL = 1000;

/**
 * Where the start-up check starts on each partition: before the newest `START_CHECK_TAIL`
 * records and before every record a consumer group has yet to handle (at the oldest when no
 * group consumes the topic: a new group would start there). Older, handled records are left to
 * the full check; a consumer still verifies each record it reads and never delivers a damaged one.
 */
function startRanges(db: DatabaseSync): Array<{ topic: string; partition: number; from: number }> {
  const high = db.prepare('SELECT high FROM marks WHERE topic = ? AND part = ?');
  const slowest = db.prepare(
    'SELECT MIN(COALESCE(o.next, 0)) AS next FROM (SELECT DISTINCT group_id FROM group_offsets WHERE topic = ?1) g ' +
      'LEFT JOIN group_offsets o ON o.group_id = g.group_id AND o.topic = ?1 AND o.part = ?2',
  );
  return db
    .prepare('SELECT topic, partitions FROM topics')
    .all()
    .flatMap((row) =>
      Array.from({ length: Number(row.partitions) }, (_, partition) => {
        const topic = String(row.topic);
        const committed = slowest.get(topic, partition)?.next;
        const tail = Number(high.get(topic, partition)?.high ?? 0) - START_CHECK_TAIL;
        return { topic, partition, from: Math.min(tail, committed === null || committed === undefined ? 0 : Number(committed)) };
      }),
    );
}

/** Verifies the CRC of every record `rows` yields. */
function checkRecords(rows: Iterable<Record<string, SQLOutputValue>>, problems: string[]): void {
  for (const row of rows) {
    readStats.records++;
    const { record, ok } = rowToRecord(row);
    if (!ok) problems.push(`record ${record.topic}[${record.partition}]@${record.offset} is damaged (checksum mismatch)`);
  }
}

/**
 * Finds what is wrong with `events.db` (empty when nothing is), reading records one at a time.
 * `full`: SQLite's `quick_check` and every record's CRC (the check command). Otherwise the
 * start-up check: the file opens and reads (a cut-short file does not), and the CRCs of the
 * records a start may deliver soon (see `startRanges`), so a start costs the backlog, not the
 * history.
 */
export async function findProblems(dir: string, options: { full: boolean }): Promise<string[]> {
  const path = join(dir, DB_FILE);
  if (!(await exists(path))) {
    return (await readManifest(dir)) ? [`${DB_FILE} is missing, but ${dir} held an event log (events.json)`] : [];
  }
  let db: DatabaseSync | undefined;
  const problems: string[] = [];
  try {
    db = new DatabaseSync(path);
    if (options.full) {
      for (const row of db.prepare('PRAGMA quick_check').iterate()) {
        const line = String(Object.values(row)[0]);
        if (line !== 'ok') problems.push(`SQLite integrity check: ${line}`);
      }
      checkRecords(db.prepare('SELECT topic, part, seq, key, value, headers, timestamp, crc FROM records').iterate(), problems);
    } else {
      for (const table of ['meta', 'topics', 'marks', 'group_offsets']) db.prepare(`SELECT * FROM ${table}`).all();
      const tail = db.prepare(
        'SELECT topic, part, seq, key, value, headers, timestamp, crc FROM records WHERE topic = ? AND part = ? AND seq >= ?',
      );
      for (const range of startRanges(db)) checkRecords(tail.iterate(range.topic, range.partition, range.from), problems);
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
    for (const [topic, parts] of Object.entries(manifest.highWater))
      for (const [partition, next] of Object.entries(parts)) this.raise(topic, Number(partition), next);
    for (const topics of Object.values(manifest.groups))
      for (const [topic, parts] of Object.entries(topics))
        for (const [partition, next] of Object.entries(parts)) this.raise(topic, Number(partition), next);
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

/** `t[p] offset n` or `t[p] offsets a..b`. */
function range(topic: string, partition: number, from: number, to: number): string {
  return from === to ? `${topic}[${partition}] offset ${from}` : `${topic}[${partition}] offsets ${from}..${to}`;
}

/**
 * Copies every readable, intact record of one partition from offset `low` (below it retention
 * deleted them on purpose) and lists in `lost` every offset below `high` it could not copy.
 * Returns the highest offset seen (-1 if none).
 */
function copyPartition(
  old: DatabaseSync | undefined,
  fresh: EventDb,
  topic: string,
  partition: number,
  marks: { low: number; high: number },
  lost: string[],
): number {
  let expected = marks.low;
  let last = -1;
  const kept = (offset: number): void => {
    if (offset > expected) lost.push(range(topic, partition, expected, offset - 1));
    expected = Math.max(expected, offset + 1);
  };
  let read: StatementSync | undefined;
  try {
    read = old?.prepare(
      'SELECT topic, part, seq, key, value, headers, timestamp, crc FROM records WHERE topic = ? AND part = ? AND seq >= ? ORDER BY seq',
    );
  } catch {
    read = undefined; // the records table itself is unreadable: everything up to the mark is lost
  }
  let from = marks.low;
  let skip = 1;
  const batch: Array<{ partition: number; record: StoredRecord }> = [];
  while (read && from < Math.max(marks.high, last + 2)) {
    try {
      for (const row of read.iterate(topic, partition, from)) {
        const { record, ok } = rowToRecord(row);
        from = record.offset + 1;
        last = Math.max(last, record.offset);
        if (!ok) continue; // a damaged record: the next one kept reports the gap
        kept(record.offset);
        batch.push({ partition, record });
        if (batch.length >= 1000) fresh.insert(topic, batch.splice(0));
      }
      break;
    } catch {
      // A damaged page: step over it, further each time, until the B-tree lets us read again.
      from += skip;
      skip *= 2;
    }
  }
  fresh.insert(topic, batch);
  // Offsets handed out after the last record kept are gone too (the last record, a torn end).
  const end = Math.max(marks.high, last + 1);
  if (expected < end) lost.push(range(topic, partition, expected, end - 1));
  return last;
}

/**
 * A copy of the damaged file to read from. SQLite refuses a whole file shorter than its header
 * says (a torn write), so the copy is padded back to that size with zero pages: only the
 * records on the missing pages are then unreadable. The WAL comes along, so committed
 * transactions not yet checkpointed are read too.
 */
async function readableCopy(path: string, copy: string): Promise<string> {
  await copyFile(path, copy);
  for (const suffix of ['-wal', '-shm']) {
    await removeIfExists(`${copy}${suffix}`);
    if (await exists(`${path}${suffix}`)) await copyFile(`${path}${suffix}`, `${copy}${suffix}`);
  }
  const file = await open(copy, 'r+');
  try {
    const header = Buffer.alloc(100);
    const { bytesRead } = await file.read(header, 0, 100, 0);
    if (bytesRead === 100 && header.toString('latin1', 0, 15) === 'SQLite format 3') {
      const pageSize = header.readUInt16BE(16) === 1 ? 65536 : header.readUInt16BE(16);
      const expected = header.readUInt32BE(28) * pageSize;
      if ((await file.stat()).size < expected) await file.truncate(expected);
    }
  } finally {
    await file.close();
  }
  return copy;
}

/** Rebuilds `events.db` from what is readable; returns what was lost. */
async function repair(dir: string): Promise<{ lost: string[]; backup: string | undefined }> {
  const path = join(dir, DB_FILE);
  const lost: string[] = [];
  const marks = new Marks();
  marks.add(await readManifest(dir));
  let old: DatabaseSync | undefined;
  let backup: string | undefined;
  if (await exists(path)) {
    backup = `${path}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await copyFile(path, backup);
    for (const suffix of ['-wal', '-shm']) if (await exists(`${path}${suffix}`)) await copyFile(`${path}${suffix}`, `${backup}${suffix}`);
    try {
      old = new DatabaseSync(await readableCopy(path, `${path}.reading`));
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
    for (const row of tryRows(old, 'SELECT topic, partitions FROM topics', lost, 'topic list'))
      marks.partitions.set(String(row.topic), Number(row.partitions));
    for (const row of tryRows(old, 'SELECT topic, part, low, high FROM marks', lost, 'offset high-water marks')) {
      marks.raise(String(row.topic), Number(row.part), Number(row.high));
      marks.low.set(`${String(row.topic)}\0${Number(row.part)}`, Number(row.low));
    }
    const offsets = tryRows(old, 'SELECT group_id, topic, part, next FROM group_offsets', lost, 'committed group offsets');
    const manifest = await readManifest(dir);
    const upsertOffset = fresh.db.prepare(
      'INSERT INTO group_offsets (group_id, topic, part, next) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET next = MAX(next, excluded.next)',
    );
    for (const row of offsets) {
      upsertOffset.run(String(row.group_id), String(row.topic), Number(row.part), Number(row.next));
      marks.raise(String(row.topic), Number(row.part), Number(row.next));
    }
    if (offsets.length === 0 && manifest) {
      for (const [group, topics] of Object.entries(manifest.groups))
        for (const [topic, parts] of Object.entries(topics))
          for (const [partition, next] of Object.entries(parts)) upsertOffset.run(group, topic, Number(partition), next);
    }
    for (const [topic, partitions] of marks.partitions) {
      fresh.createTopic(topic, partitions);
      for (let partition = 0; partition < partitions; partition++) {
        const id = `${topic}\0${partition}`;
        const last = copyPartition(old, fresh, topic, partition, { low: marks.low.get(id) ?? 0, high: marks.high.get(id) ?? 0 }, lost);
        marks.raise(topic, partition, last + 1);
        const high = marks.high.get(id) ?? 0;
        fresh.db
          .prepare(
            'INSERT INTO marks (topic, part, low, high) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET high = MAX(high, excluded.high)',
          )
          .run(topic, partition, marks.low.get(id) ?? 0, high);
      }
    }
    fresh.setMeta('repaired', new Date().toISOString());
    fresh.db.exec('COMMIT');
    await writeManifest(dir, manifestOf(fresh));
  } finally {
    if (old?.isOpen) old.close();
    await fresh.close();
    for (const suffix of ['', '-wal', '-shm']) await removeIfExists(`${path}.reading${suffix}`);
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
 * to run while a bus uses the directory. Returns one report (none when `dir` does not exist).
 */
export async function checkEventLog(dir: string, options: { repair: boolean }): Promise<DataCheckReport[]> {
  const file = join(dir, DB_FILE);
  // No directory: no bus ever ran there, nothing to check.
  if (!(await exists(dir))) return [];
  const lock = await acquireLock(dir, createLogger({ name: 'event-log-check', level: 'silent' }));
  try {
    const problems = await findProblems(dir, { full: true });
    if (problems.length === 0 || !options.repair) return [{ file, ok: problems.length === 0, problems, repaired: false, lost: [] }];
    const { lost, backup } = await repair(dir);
    // As the document store's check: `ok` says the file is good now, verified again after the repair.
    const after = await findProblems(dir, { full: true });
    const report = {
      file,
      ok: after.length === 0,
      problems: [...problems, ...after.map((problem) => `after repair: ${problem}`)],
      repaired: true,
      lost,
    };
    return [{ ...report, ...(backup ? { backup } : {}) }];
  } finally {
    await lock.release();
  }
}
