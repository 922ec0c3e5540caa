import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { decodeJson, isPlainObject, isStoredDoc, type StoredDoc } from '../codec';
import { errorCode } from '../../../durability/files';

/**
 * Reader of the legacy (before SQLite) snapshot files, kept only to migrate old data
 * directories: a header line, one document per line, and a trailer with the count. A snapshot
 * only ever appears under its final name by an atomic rename after being fsynced, so a present
 * snapshot is complete; the trailer is a cheap second check against outside damage.
 */

const HEADER = { format: 'chatgraph-embedded-snapshot', version: 1 };
/** A snapshot under its final name is unreadable: it was damaged after being written. */
export class SnapshotCorruptError extends Error {
  constructor(path: string, detail: string) {
    super(`snapshot ${path} is unreadable (${detail}): cannot migrate it`);
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
