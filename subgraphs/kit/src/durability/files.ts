import { access, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** File layout of a data directory and the small filesystem helpers durability needs. */

const NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** Refuses collection names that are not safe file names (they were file names before SQLite; kept portable). */
export function checkCollectionName(name: string): void {
  if (!NAME.test(name) || name.length > 120) {
    throw new Error(`collection name '${name}' is not usable by the embedded store (letters, digits, _ - . only)`);
  }
}

/** The SQLite database of a data directory and the files SQLite keeps next to it. */
export interface DatabaseFiles {
  db: string;
  /** The write-ahead log: committed transactions not yet checkpointed into `db`. */
  wal: string;
  shm: string;
  /** Written when the database is created: a missing database is then damage, not a fresh start. */
  marker: string;
}

export const DATABASE_FILE = 'documents.sqlite';

export function databaseFiles(dataDir: string): DatabaseFiles {
  const db = join(dataDir, DATABASE_FILE);
  return { db, wal: `${db}-wal`, shm: `${db}-shm`, marker: `${db}.created` };
}

/** Files of a collection in the legacy (journal + snapshot) format, read only to migrate them. */
export interface CollectionFiles {
  journal: string;
  snapshot: string;
  /** A snapshot being written; only ever renamed onto `snapshot` once complete and fsynced. */
  snapshotTemp: string;
}

/** Paths of a collection's legacy files. */
export function collectionFiles(dataDir: string, name: string): CollectionFiles {
  checkCollectionName(name);
  return {
    journal: join(dataDir, `${name}.journal`),
    snapshot: join(dataDir, `${name}.snapshot`),
    snapshotTemp: join(dataDir, `${name}.snapshot.tmp`),
  };
}

/** The data directory's lock file (see lock.ts). */
export function lockFile(dataDir: string): string {
  return join(dataDir, 'LOCK');
}

/** The `code` of a Node system error (`ENOENT`, `EEXIST`...), if any. */
export function errorCode(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code: unknown = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Makes a directory's entries (created, renamed, removed files) durable. Without it a rename can
 * be lost on power failure even though the renamed file's content was fsynced.
 */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows, some network filesystems) cannot fsync a directory; nothing more can be done there.
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF'].includes(errorCode(error) ?? '')) throw error;
  } finally {
    await handle.close();
  }
}

/** Deletes a file; a missing file is fine. */
export async function removeIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** Whether a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}
