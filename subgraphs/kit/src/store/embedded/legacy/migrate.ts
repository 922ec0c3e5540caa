import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredDoc } from '../codec';
import type { DocumentDatabase, LoadedDocuments } from '../database';
import { fsyncDir } from '../../../durability/files';
import { collectionFiles } from '../layout';
import type { AdapterLogger as EmbeddedStoreLogger } from '../../../adapterLogger';
import { replayJournal } from './journal';
import { readSnapshot } from './snapshot';

/**
 * First start on a data directory written by the hand-written journal/snapshot store: every
 * collection found (`<name>.snapshot` + `<name>.journal`) is loaded as that store loaded it,
 * imported into SQLite in one transaction, and the count of each collection verified inside
 * it (a damaged old file refuses the start before anything is imported). Only then are the old files moved into `legacy-backup/` (kept, never deleted). A crash
 * after the commit and before the move is harmless: the `migrated:<name>` meta rows, written in
 * the same transaction, say the import is done, so the next start only finishes the move.
 */

/** Where the old files are kept after the migration. */
export const LEGACY_BACKUP_DIR = 'legacy-backup';

const LEGACY_FILE = /^(.+)\.(journal|snapshot|snapshot\.tmp)$/;

/** The legacy files at the top of `dataDir`, grouped by collection. */
async function legacyCollections(dataDir: string): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (const entry of await readdir(dataDir, { withFileTypes: true })) {
    const match = entry.isFile() ? LEGACY_FILE.exec(entry.name) : null;
    if (!match?.[1]) continue;
    found.set(match[1], [...(found.get(match[1]) ?? []), entry.name]);
  }
  return found;
}

/** The documents of one legacy collection, exactly as the old store loaded them (torn last journal line dropped). */
async function loadLegacy(dataDir: string, name: string): Promise<Map<string, StoredDoc>> {
  const files = collectionFiles(dataDir, name);
  const docs = new Map<string, StoredDoc>();
  for (const doc of await readSnapshot(files.snapshot)) docs.set(doc._id, doc);
  await replayJournal(files.journal, (op) => {
    if (op.op === 'put') docs.set(op.doc._id, op.doc);
    else docs.delete(op.id);
  });
  return docs;
}

/**
 * Migrates the legacy files of `dataDir` into `database` and adds their documents to `loaded`.
 * Throws (refusing the start) when a legacy file is damaged or a count does not verify; the old
 * files are then left exactly where they were.
 */
export async function migrateLegacyFiles(
  dataDir: string,
  database: DocumentDatabase,
  loaded: LoadedDocuments,
  logger: EmbeddedStoreLogger,
): Promise<void> {
  const legacy = await legacyCollections(dataDir);
  if (legacy.size === 0) return;
  // Everything is read before anything is written: a damaged file refuses the start with nothing imported.
  const pending = new Map<string, Map<string, StoredDoc>>();
  for (const name of legacy.keys()) {
    if (database.meta(`migrated:${name}`) !== undefined) continue;
    if (database.count(name) > 0)
      throw new Error(`cannot migrate ${name}: ${database.files.db} already holds documents of that collection`);
    pending.set(name, await loadLegacy(dataDir, name));
  }
  const marks = Object.fromEntries([...pending].map(([name, docs]) => [`migrated:${name}`, String(docs.size)]));
  database.transaction(() => {
    for (const [name, docs] of pending) {
      database.apply([...docs.values()].map((put) => ({ collection: name, put })));
      const count = database.count(name);
      if (count !== docs.size)
        throw new Error(`migration of ${name} into ${database.files.db} stored ${count} documents, expected ${docs.size}`);
    }
  }, marks);
  for (const [name, docs] of pending) loaded.set(name, docs);
  const imported = [...pending].map(([name, docs]): [string, number] => [name, docs.size]);
  const backup = join(dataDir, LEGACY_BACKUP_DIR);
  await mkdir(backup, { recursive: true });
  for (const names of legacy.values()) for (const file of names) await rename(join(dataDir, file), join(backup, file));
  await fsyncDir(backup);
  await fsyncDir(dataDir);
  logger.info(
    { file: database.files.db, backup, collections: Object.fromEntries(imported) },
    `migrated ${imported.length} collection(s), ${imported.reduce((sum, [, n]) => sum + n, 0)} documents, from the journal/snapshot files to SQLite; old files kept in ${backup}`,
  );
}
