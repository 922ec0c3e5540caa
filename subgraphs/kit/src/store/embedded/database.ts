import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { open, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { decodeJson, encodeJson, isStoredDoc, type StoredDoc } from './codec';
import { exists, fsyncDir } from '../../durability/files';
import { databaseFiles, type DatabaseFiles } from './layout';

/**
 * The SQLite database of one data directory (`documents.sqlite`): every collection's documents,
 * one row each, with a CRC-32 of the stored JSON so damage inside a row is caught too (SQLite's
 * own checks cover page structure, not the bytes of a value).
 *
 * Durability: WAL mode with `synchronous=FULL`, so a commit returns only after the WAL was
 * fsynced. `NORMAL` would be durable across a process crash but could lose the last commits on
 * power loss, and the store acknowledges a write only when it is durable, full stop.
 *
 * Clean-close marker: the `session` meta row is set to `open` (and checkpointed into the main
 * file) at start and to `closed` at stop. A database that says `open` was not closed cleanly, so
 * its WAL may hold committed transactions: if the WAL file is then missing, they were lost and
 * the store refuses to start rather than silently serve an older state.
 */

/** One durable change of a collection: the full new document, or a delete by id. */
export type DocumentOp = { collection: string; put: StoredDoc } | { collection: string; del: string };

/** The store's files are damaged: `start()` refuses with one message naming the file, the damage and the repair. */
export class DocumentStoreDamagedError extends Error {
  readonly file: string;
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super(
      `embedded document store ${file} is damaged: ${problems.join('; ')}. ` +
        'The service refuses to start on it. To repair: stop the service, then run `chatgraph check --repair` ' +
        '(it keeps a backup copy, recovers every readable document and lists what was lost).',
    );
    this.name = 'DocumentStoreDamagedError';
    this.file = file;
    this.problems = problems;
  }
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY,
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    doc TEXT NOT NULL,
    crc INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX IF NOT EXISTS documents_key ON documents (collection, id);
`;

/** Problems reported per file are capped: the first ones say enough. */
const MAX_PROBLEMS = 5;

/** The documents of each collection, in natural (first insertion) order. */
export type LoadedDocuments = Map<string, Map<string, StoredDoc>>;

/** The checksum stored with a document's JSON. */
export function rowChecksum(json: string): number {
  return crc32(json);
}

/**
 * A row of `SELECT seq, collection, id, doc, crc` read as an array (`setReturnArrays`: no
 * object per row, which halved the time to read 100,000 rows).
 */
export type RawRow = readonly unknown[];

/** The columns every row query selects, in `RawRow` order. */
export const ROW_COLUMNS = 'seq, collection, id, doc, crc';

/** Decodes one row, or says why it cannot be trusted. */
export function decodeRow(row: RawRow): { collection: string; doc: StoredDoc } | { problem: string } {
  const [seq, collection, id, json, crc] = row;
  const where = `document ${String(id)} of collection ${String(collection)} (row ${String(seq)})`;
  if (typeof json !== 'string' || rowChecksum(json) !== crc) return { problem: `${where} is damaged (checksum mismatch)` };
  let doc: unknown;
  try {
    doc = decodeJson(json);
  } catch {
    return { problem: `${where} is not valid JSON` };
  }
  if (!isStoredDoc(doc) || doc._id !== id || typeof collection !== 'string') return { problem: `${where} does not hold that document` };
  return { collection, doc };
}

/** What the database header says about the file's length, against its real length. */
export interface FileShape {
  pageSize: number;
  /** Pages the header says the database has. */
  headerPages: number;
  /** Whole pages in the file. */
  filePages: number;
  /** Bytes past the last whole page (a torn write). */
  partialBytes: number;
}

const HEADER_MAGIC = 'SQLite format 3\0';

/** Reads the SQLite header of `file`; undefined when it is too short or not a SQLite header. */
export async function fileShape(file: string): Promise<FileShape | undefined> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    // SQLite creates the file empty and writes page 1 with the first transaction.
    if (size === 0) return { pageSize: 4096, headerPages: 0, filePages: 0, partialBytes: 0 };
    const header = Buffer.alloc(100);
    const { bytesRead } = await handle.read(header, 0, 100, 0);
    if (bytesRead < 100 || header.toString('latin1', 0, 16) !== HEADER_MAGIC) return undefined;
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65536 : raw;
    if (pageSize < 512) return undefined;
    return { pageSize, headerPages: header.readUInt32BE(28), filePages: Math.floor(size / pageSize), partialBytes: size % pageSize };
  } finally {
    await handle.close();
  }
}

/** Says when the file is shorter than its header says, or ends mid-page: a truncated or torn write. */
function shapeProblem(file: string, shape: FileShape | undefined): string | undefined {
  if (!shape) return `${file} does not start with a SQLite header`;
  if (shape.partialBytes > 0 || shape.filePages < shape.headerPages) {
    return `${file} is truncated (${shape.filePages} whole pages and ${shape.partialBytes} stray bytes, its header says ${shape.headerPages} pages): a torn or cut-off write`;
  }
  return undefined;
}

/** Opens a database file with the store's settings (throws what SQLite throws on a non-database). */
export function openSqlite(file: string, checkpointPages = 1000): DatabaseSync {
  const db = new DatabaseSync(file);
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec(`PRAGMA wal_autocheckpoint = ${Math.trunc(checkpointPages)}`);
    db.exec(SCHEMA);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** An error's message (node:sqlite's errors may come from another realm, so no `instanceof`). */
export function message(error: unknown): string {
  const text: unknown = error !== null && typeof error === 'object' ? (error as { message?: unknown }).message : undefined;
  return typeof text === 'string' ? text : String(error);
}

/** What `inspectDatabase` found: the problems, and the documents when there are none. */
export interface Inspection {
  files: DatabaseFiles;
  problems: string[];
  /** Set when the file opened: the caller closes it (or keeps it when there are no problems). */
  db?: DatabaseSync;
  docs: LoadedDocuments;
  /** The database did not exist (and no marker said it should): a new store. */
  created: boolean;
}

/**
 * Opens and verifies a data directory's database: presence (marker, WAL after an unclean stop),
 * SQLite's `quick_check`, and every row's checksum, loading the documents on the way (one pass,
 * bounded by the data itself). Never throws for damage: it reports it.
 */
export async function inspectDatabase(dataDir: string, checkpointPages?: number): Promise<Inspection> {
  const files = databaseFiles(dataDir);
  const problems: string[] = [];
  const docs: LoadedDocuments = new Map();
  const [dbExists, walExists, markerExists] = await Promise.all([exists(files.db), exists(files.wal), exists(files.marker)]);
  if (!dbExists && (markerExists || walExists)) {
    problems.push(
      `${files.db} is missing (${markerExists ? `${files.marker} says it was created` : 'only its WAL is left'}): every document in it is gone`,
    );
    return { files, problems, docs, created: false };
  }
  if (dbExists) {
    const problem = shapeProblem(files.db, await fileShape(files.db));
    if (problem) {
      problems.push(problem);
      return { files, problems, docs, created: false };
    }
  }
  let db: DatabaseSync;
  try {
    db = openSqlite(files.db, checkpointPages);
  } catch (error) {
    problems.push(`${files.db} cannot be opened as a SQLite database (${message(error)})`);
    return { files, problems, docs, created: false };
  }
  try {
    const session = db.prepare("SELECT value FROM meta WHERE key = 'session'").get();
    if (session?.value === 'open' && !walExists) {
      problems.push(
        `${files.wal} is missing although the store was not closed cleanly: transactions committed after the last checkpoint are gone`,
      );
    }
    for (const row of db.prepare('PRAGMA quick_check').all()) {
      const text = String(Object.values(row)[0]);
      if (text !== 'ok' && problems.length < MAX_PROBLEMS) problems.push(`SQLite quick_check: ${text}`);
    }
    const rows = db.prepare(`SELECT ${ROW_COLUMNS} FROM documents ORDER BY seq`);
    rows.setReturnArrays(true);
    for (const row of rows.iterate()) {
      const decoded = decodeRow(row as unknown as RawRow);
      if ('problem' in decoded) {
        if (problems.length < MAX_PROBLEMS) problems.push(decoded.problem);
        continue;
      }
      let map = docs.get(decoded.collection);
      if (!map) docs.set(decoded.collection, (map = new Map()));
      map.set(decoded.doc._id, decoded.doc);
    }
  } catch (error) {
    problems.push(`${files.db} is unreadable (${message(error)})`);
  }
  if (!dbExists && problems.length === 0) {
    await writeFile(files.marker, `${new Date().toISOString()}\n`);
    await fsyncDir(dirname(files.marker));
  }
  return { files, problems, db, docs, created: !dbExists };
}

/** The main thread's connection: opens, verifies and migrates; the writes of a running store go through sqliteWriter.ts. */
export class DocumentDatabase {
  private readonly put: StatementSync;
  private readonly del: StatementSync;
  private closed = false;

  constructor(
    readonly files: DatabaseFiles,
    private readonly db: DatabaseSync,
  ) {
    this.put = db.prepare(
      'INSERT INTO documents (collection, id, doc, crc) VALUES (?, ?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET doc = excluded.doc, crc = excluded.crc',
    );
    this.del = db.prepare('DELETE FROM documents WHERE collection = ? AND id = ?');
  }

  /** Opens and verifies (throws `DocumentStoreDamagedError`), then marks the session open. */
  static async open(dataDir: string, checkpointPages?: number): Promise<{ database: DocumentDatabase; docs: LoadedDocuments }> {
    const inspection = await inspectDatabase(dataDir, checkpointPages);
    if (inspection.problems.length > 0 || !inspection.db) {
      inspection.db?.close();
      throw new DocumentStoreDamagedError(inspection.files.db, inspection.problems);
    }
    const database = new DocumentDatabase(inspection.files, inspection.db);
    database.setSession('open');
    return { database, docs: inspection.docs };
  }

  /** Applies operations inside the caller's `transaction`. */
  apply(ops: readonly DocumentOp[]): void {
    for (const op of ops) {
      if ('put' in op) {
        const json = encodeJson(op.put);
        this.put.run(op.collection, op.put._id, json, rowChecksum(json));
      } else {
        this.del.run(op.collection, op.del);
      }
    }
  }

  /** Number of stored documents of a collection (migration verifies its import with it). */
  count(collection: string): number {
    return Number(this.db.prepare('SELECT count(*) AS n FROM documents WHERE collection = ?').get(collection)?.n ?? 0);
  }

  /** A meta value (e.g. which legacy collections were migrated). */
  meta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key);
    return typeof row?.value === 'string' ? row.value : undefined;
  }

  /** Runs `body` in one transaction with meta rows set in it. */
  transaction(body: () => void, meta: Record<string, string> = {}): void {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      body();
      const set = this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
      for (const [key, value] of Object.entries(meta)) set.run(key, value);
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Records the session state in the main file itself (checkpoint), so a lost WAL is detectable. */
  private setSession(state: 'open' | 'closed'): void {
    this.transaction(() => undefined, { session: state });
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  /**
   * Closes this connection without marking a clean stop: the writer thread's connection (already
   * open, so the WAL stays) carries on and marks the stop itself.
   */
  detach(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  /** Marks a clean stop and closes (SQLite checkpoints and removes the WAL). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.setSession('closed');
    } finally {
      this.db.close();
    }
  }
}
