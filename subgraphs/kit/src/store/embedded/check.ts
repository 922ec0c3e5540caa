import { copyFile, mkdir, readdir, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { DataCheckReport } from '../../dataCheck';
import { decodeRow, inspectDatabase, openSqlite } from './database';
import { DATABASE_FILE, databaseFiles, exists, fsyncDir, removeIfExists, type DatabaseFiles } from './files';
import { acquireLock } from './lock';
import { silentLogger } from './logger';

/**
 * `chatgraph check` for the embedded document store: verifies `documents.sqlite` as `start()`
 * does (presence, WAL after an unclean stop, SQLite quick_check, every row's checksum) and, with
 * `repair`, first copies the damaged files into `repair-<time>/`, then rebuilds the database from
 * every readable row with a valid checksum and reports what could not be recovered: by id when
 * the (separate) `(collection, id)` index still names it, else by row number.
 */

/** Rows read per query while salvaging; a failing chunk is retried row by row. */
const CHUNK = 256;

/** The store data directories under `dir`: `dir` itself and its direct subdirectories holding a store. */
async function storeDirs(dir: string): Promise<string[]> {
  const holds = async (candidate: string): Promise<boolean> => {
    const files = databaseFiles(candidate);
    return (await exists(files.db)) || (await exists(files.marker)) || (await exists(files.wal));
  };
  if (await holds(dir)) return [dir];
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory() && (await holds(join(dir, entry.name)))) found.push(join(dir, entry.name));
  }
  return found;
}

/**
 * Verifies every embedded document store in `dir` (a store's data directory, or a directory of
 * them such as `DATA_DIR`); with `repair`, repairs the damaged ones to their last good state.
 * Run it while the service is stopped (a repair takes the directory's lock).
 */
export async function checkDocumentStore(dir: string, options: { repair: boolean }): Promise<DataCheckReport[]> {
  const reports: DataCheckReport[] = [];
  for (const storeDir of await storeDirs(dir)) reports.push(await checkOne(storeDir, options.repair));
  return reports;
}

async function checkOne(dir: string, repair: boolean): Promise<DataCheckReport> {
  const lock = repair ? await acquireLock(dir, silentLogger) : undefined;
  try {
    const inspection = await inspectDatabase(dir);
    inspection.db?.close();
    const report: DataCheckReport = { file: inspection.files.db, ok: inspection.problems.length === 0, problems: inspection.problems, repaired: false, lost: [] };
    if (report.ok || !repair) return report;
    report.backup = await backup(inspection.files, dir);
    report.lost = await rebuild(inspection.files, report.backup, inspection.problems);
    report.repaired = true;
    const after = await inspectDatabase(dir);
    after.db?.close();
    report.ok = after.problems.length === 0;
    if (!report.ok) report.problems.push(...after.problems.map((problem) => `after repair: ${problem}`));
    return report;
  } finally {
    await lock?.release();
  }
}

/** Copies the database and its WAL (as they are) into a fresh `repair-<time>/` directory. */
async function backup(files: DatabaseFiles, dir: string): Promise<string> {
  const target = join(dir, `repair-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(target, { recursive: true });
  for (const file of [files.db, files.wal, files.shm]) {
    if (await exists(file)) await copyFile(file, join(target, basename(file)));
  }
  await fsyncDir(target);
  return target;
}

interface Salvage {
  rows: Array<Record<string, unknown>>;
  lost: string[];
}

/** Reads every row that can be read, chunk by chunk, falling back to single rows around damage. */
function salvageRows(db: DatabaseSync): Salvage {
  const lost: string[] = [];
  const rows: Array<Record<string, unknown>> = [];
  const range = db.prepare('SELECT seq, collection, id, doc, crc FROM documents WHERE seq BETWEEN ? AND ? ORDER BY seq');
  let max: number;
  try {
    max = Number(db.prepare('SELECT max(seq) AS m FROM documents').get()?.m ?? 0);
  } catch {
    max = 0;
    lost.push('the document table is unreadable: no row could be located');
  }
  for (let from = 1; from <= max; from += CHUNK) {
    const to = Math.min(max, from + CHUNK - 1);
    try {
      rows.push(...range.all(from, to));
      continue;
    } catch {
      // Some page in this range is damaged: take the rows one by one.
    }
    let unreadable = 0;
    for (let seq = from; seq <= to; seq++) {
      try {
        rows.push(...range.all(seq, seq));
      } catch {
        unreadable++;
      }
    }
    if (unreadable > 0) lost.push(`${unreadable} row(s) between row ${from} and row ${to} are unreadable`);
  }
  return { rows, lost };
}

/** The `(collection, id)` keys the index still lists (it lives in its own pages, so it often survives table damage). */
function indexedKeys(db: DatabaseSync): Set<string> {
  const keys = new Set<string>();
  try {
    for (const row of db.prepare('SELECT collection, id FROM documents INDEXED BY documents_key').iterate()) keys.add(`${String(row.collection)}/${String(row.id)}`);
  } catch {
    // A damaged index names fewer documents; the rows themselves still count.
  }
  return keys;
}

/** Builds a fresh database from the salvageable rows of the backup copy; returns what was lost. */
async function rebuild(files: DatabaseFiles, backupDir: string, problems: readonly string[]): Promise<string[]> {
  const lost: string[] = [];
  if (problems.some((problem) => problem.includes('WAL') || problem.includes('-wal'))) {
    lost.push('transactions committed after the last checkpoint (the WAL file is missing; which documents they changed cannot be known)');
  }
  // Salvage from a scratch copy: opening a damaged file can rewrite it, and the backup stays as found.
  const scratch = `${files.db}.salvage`;
  const fresh = `${files.db}.repaired`;
  for (const suffix of ['', '-wal', '-shm']) {
    await removeIfExists(`${scratch}${suffix}`);
    await removeIfExists(`${fresh}${suffix}`);
  }
  const copied = join(backupDir, DATABASE_FILE);
  let salvage: Salvage = { rows: [], lost: [] };
  let keys = new Set<string>();
  if (await exists(copied)) {
    await copyFile(copied, scratch);
    if (await exists(`${copied}-wal`)) await copyFile(`${copied}-wal`, `${scratch}-wal`);
    let source: DatabaseSync | undefined;
    try {
      source = new DatabaseSync(scratch);
      keys = indexedKeys(source);
      salvage = salvageRows(source);
    } catch (error) {
      salvage.lost.push(`every document: ${files.db} is not a readable SQLite database (${error instanceof Error ? error.message : String(error)})`);
    } finally {
      try {
        source?.close();
      } catch {
        // Closing a damaged database may fail to checkpoint; the scratch copy is discarded anyway.
      }
    }
  } else {
    lost.push(`every document of ${files.db} (the file is missing)`);
  }
  const target = openSqlite(fresh);
  const insert = target.prepare('INSERT INTO documents (seq, collection, id, doc, crc) VALUES (?, ?, ?, ?, ?)');
  const saved = new Set<string>();
  target.exec('BEGIN IMMEDIATE');
  for (const row of salvage.rows) {
    const decoded = decodeRow(row);
    const key = `${String(row.collection)}/${String(row.id)}`;
    if ('problem' in decoded) {
      lost.push(decoded.problem);
      saved.add(key); // reported above, by name
      continue;
    }
    insert.run(Number(row.seq), String(row.collection), decoded.doc._id, String(row.doc), Number(row.crc));
    saved.add(key);
  }
  target.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('session', 'closed')").run();
  target.exec('COMMIT');
  target.close();
  for (const key of keys) if (!saved.has(key)) lost.push(`document ${key.slice(key.indexOf('/') + 1)} of collection ${key.slice(0, key.indexOf('/'))} (its row is unreadable)`);
  lost.push(...salvage.lost);
  for (const suffix of ['', '-wal', '-shm']) {
    await removeIfExists(`${scratch}${suffix}`);
    await removeIfExists(`${files.db}${suffix}`);
  }
  await rename(fresh, files.db);
  await fsyncDir(join(files.db, '..'));
  return lost;
}
