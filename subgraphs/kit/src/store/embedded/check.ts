import { copyFile, mkdir, open, readdir, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { DataCheckReport } from '../../dataCheck';
import { decodeRow, fileShape, inspectDatabase, message, openSqlite, ROW_COLUMNS, type RawRow } from './database';
import { exists, fsyncDir, removeIfExists } from '../../durability/files';
import { DATABASE_FILE, databaseFiles, type DatabaseFiles } from './layout';
import { acquireLock } from '../../durability/lock';
import { silentAdapterLogger as silentLogger } from '../../adapterLogger';

/**
 * `chatgraph check` for the embedded document store: verifies `documents.sqlite` as `start()`
 * does (presence, WAL after an unclean stop, SQLite quick_check, every row's checksum) and, with
 * `repair`, first copies the damaged files into `repair-<time>/`, then rebuilds the database from
 * every readable row with a valid checksum and reports what could not be recovered: by id when
 * the (separate) `(collection, id)` index still names it, else by row number.
 */

/** Rows read per query while salvaging; a failing chunk is retried row by row. */
const CHUNK = 256;
/** Past the last row found, the salvage scan stops after this many row numbers yield nothing. */
const GIVE_UP_AFTER_ROWS = 64 * CHUNK;

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
    const report: DataCheckReport = {
      file: inspection.files.db,
      ok: inspection.problems.length === 0,
      problems: inspection.problems,
      repaired: false,
      lost: [],
    };
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
  rows: RawRow[];
  lost: string[];
}

/** Reads every row that can be read, chunk by chunk, falling back to single rows around damage. */
function salvageRows(db: DatabaseSync): Salvage {
  const lost: string[] = [];
  const rows: RawRow[] = [];
  const statement = db.prepare(`SELECT ${ROW_COLUMNS} FROM documents WHERE seq BETWEEN ? AND ? ORDER BY seq`);
  statement.setReturnArrays(true);
  const range = (from: number, to: number): RawRow[] => statement.all(from, to) as unknown as RawRow[];
  // Row numbers are dense-ish (insertion order), so scanning forward from 1 finds every row; where the table's
  // last pages are gone `max(seq)` fails too, so the scan goes on until a long run of chunks yields nothing.
  const max = highestRow(db);
  let lastFound = 0;
  let unreadableFrom: number | undefined;
  const closeGap = (to: number): void => {
    if (unreadableFrom === undefined) return;
    lost.push(`rows ${unreadableFrom} to ${to} could not be read (the documents stored there, if any, are lost)`);
    unreadableFrom = undefined;
  };
  for (let from = 1; from <= max || from <= lastFound + GIVE_UP_AFTER_ROWS; from += CHUNK) {
    const to = from + CHUNK - 1;
    let chunk: RawRow[] = [];
    try {
      chunk = range(from, to);
      closeGap(from - 1);
    } catch {
      // Some page in this range is damaged: take the rows one by one.
      for (let seq = from; seq <= to; seq++) {
        try {
          chunk.push(...range(seq, seq));
          closeGap(seq - 1);
        } catch {
          unreadableFrom ??= seq;
        }
      }
    }
    rows.push(...chunk);
    if (chunk.length > 0) lastFound = Number(chunk[chunk.length - 1]?.[0]);
  }
  if (unreadableFrom !== undefined)
    lost.push(`rows from ${unreadableFrom} on could not be read (the documents stored there, if any, are lost)`);
  return { rows, lost };
}

/** The highest row number SQLite can still tell (table, else index); 0 when neither is readable. */
function highestRow(db: DatabaseSync): number {
  for (const query of ['SELECT max(seq) AS m FROM documents', 'SELECT max(seq) AS m FROM documents INDEXED BY documents_key']) {
    try {
      return Number(db.prepare(query).get()?.m ?? 0);
    } catch {
      // Try the next way.
    }
  }
  return 0;
}

/** The `(collection, id)` keys the index still lists (it lives in its own pages, so it often survives table damage). */
function indexedKeys(db: DatabaseSync): Set<string> {
  const keys = new Set<string>();
  try {
    for (const row of db.prepare('SELECT collection, id FROM documents INDEXED BY documents_key').iterate())
      keys.add(`${String(row.collection)}/${String(row.id)}`);
  } catch {
    // A damaged index names fewer documents; the rows themselves still count.
  }
  return keys;
}

/**
 * A torn or cut-off file: drop the partial last page and make the header's page count match the
 * file, else SQLite refuses every query on it; the pages that are left can then be read.
 */
async function trimToWholePages(file: string): Promise<void> {
  const shape = await fileShape(file);
  if (!shape || (shape.partialBytes === 0 && shape.filePages >= shape.headerPages)) return;
  const handle = await open(file, 'r+');
  try {
    await handle.truncate(shape.filePages * shape.pageSize);
    const pages = Buffer.alloc(4);
    pages.writeUInt32BE(shape.filePages);
    await handle.write(pages, 0, 4, 28);
  } finally {
    await handle.close();
  }
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
    await trimToWholePages(scratch);
    let source: DatabaseSync | undefined;
    try {
      source = new DatabaseSync(scratch);
      keys = indexedKeys(source);
      salvage = salvageRows(source);
    } catch (error) {
      salvage.lost.push(`every document: ${files.db} is not a readable SQLite database (${message(error)})`);
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
    const [seq, collection, id, json, crc] = row;
    const decoded = decodeRow(row);
    saved.add(`${String(collection)}/${String(id)}`); // kept, or reported by name just below
    if ('problem' in decoded) lost.push(decoded.problem);
    else insert.run(Number(seq), decoded.collection, decoded.doc._id, String(json), Number(crc));
  }
  target.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('session', 'closed')").run();
  target.exec('COMMIT');
  target.close();
  for (const key of keys)
    if (!saved.has(key))
      lost.push(`document ${key.slice(key.indexOf('/') + 1)} of collection ${key.slice(0, key.indexOf('/'))} (its row is unreadable)`);
  lost.push(...salvage.lost);
  for (const suffix of ['', '-wal', '-shm']) {
    await removeIfExists(`${scratch}${suffix}`);
    await removeIfExists(`${files.db}${suffix}`);
  }
  await rename(fresh, files.db);
  await fsyncDir(join(files.db, '..'));
  return lost;
}
