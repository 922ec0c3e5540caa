import { createReadStream } from 'node:fs';
import { open, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { decodeJson, encodeJson, isPlainObject, isStoredDoc, type StoredDoc } from './codec';
import { errorCode, fsyncDir, removeIfExists, type CollectionFiles } from './files';

/**
 * Snapshot files: a header line, one document per line, and a trailer with the count. A snapshot
 * only ever appears under its final name by an atomic rename after being fsynced, so a present
 * snapshot is complete; the trailer is a cheap second check against outside damage.
 */

const HEADER = { format: 'chatgraph-embedded-snapshot', version: 1 };
const CHUNK = 1 << 20;

/**
 * Durably replaces the collection's snapshot with `docs`: write the temp file, fsync it, rename
 * it over the snapshot, fsync the directory. A crash before the rename leaves the old snapshot
 * (the temp file is deleted on the next start); after it, the new one.
 */
export async function writeSnapshot(files: CollectionFiles, docs: readonly StoredDoc[]): Promise<void> {
  const handle = await open(files.snapshotTemp, 'w');
  try {
    let chunk = `${encodeJson(HEADER)}\n`;
    for (const doc of docs) {
      chunk += `${encodeJson(doc)}\n`;
      // Bounded chunks keep memory flat for large collections.
      if (chunk.length >= CHUNK) {
        await handle.writeFile(chunk);
        chunk = '';
      }
    }
    chunk += `${encodeJson({ end: docs.length })}\n`;
    await handle.writeFile(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(files.snapshotTemp, files.snapshot);
  await fsyncDir(dirname(files.snapshot));
}

/** A snapshot under its final name is unreadable: it was damaged after being written. */
export class SnapshotCorruptError extends Error {
  constructor(path: string, detail: string) {
    super(`snapshot ${path} is unreadable (${detail}): refusing to start`);
    this.name = 'SnapshotCorruptError';
  }
}

/** Reads a snapshot's documents (none when there is no snapshot). Throws `SnapshotCorruptError`. */
export async function readSnapshot(path: string): Promise<StoredDoc[]> {
  try {
    await stat(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const docs: StoredDoc[] = [];
  let line = 0;
  let end: number | undefined;
  try {
    for await (const text of lines) {
      line++;
      let value: unknown;
      try {
        value = decodeJson(text);
      } catch {
        throw new SnapshotCorruptError(path, `line ${line} is not valid JSON`);
      }
      if (line === 1) {
        if (!isPlainObject(value) || value.format !== HEADER.format || value.version !== HEADER.version) {
          throw new SnapshotCorruptError(path, 'unknown header');
        }
      } else if (end !== undefined) {
        throw new SnapshotCorruptError(path, `data after the trailer at line ${line}`);
      } else if (isStoredDoc(value)) {
        docs.push(value);
      } else if (isPlainObject(value) && typeof value.end === 'number') {
        end = value.end;
      } else {
        throw new SnapshotCorruptError(path, `line ${line} is not a document`);
      }
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  if (end !== docs.length) throw new SnapshotCorruptError(path, 'missing or wrong trailer');
  return docs;
}

/** Deletes a leftover temp snapshot (a compaction that crashed before its rename). */
export async function removeTempSnapshot(files: CollectionFiles): Promise<boolean> {
  return removeIfExists(files.snapshotTemp);
}
