import { join } from 'node:path';

/** File layout of the embedded store's data directory: its SQLite database and the legacy per-collection files. */

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
