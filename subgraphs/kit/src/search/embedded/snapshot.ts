import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir, removeIfExists } from '../../durability/files';
import type { SearchDocument } from '../port';
import { decodeDocument, encodeDocument, type EncodedDocument } from './codec';

/**
 * Whole-index snapshots of the embedded engine: one file per index, a header line naming the
 * journal generation the snapshot stops at, then one document per line. Written to a temporary
 * file, fsynced, renamed over the previous one and the directory fsynced: a crash leaves either
 * snapshot whole. Writes after the snapshot are in journals of its generation and later
 * (journal.ts); together they hold every acknowledged write.
 */

const FORMAT = 'chatgraph-search-snapshot/2';
/** Format 1 (one JSON object, no journal): read so an upgrade keeps its index. */
const FORMAT_1 = 'chatgraph-search-snapshot/1';

export interface Snapshot {
  /** Journals of this generation and later hold the writes made after the snapshot. */
  generation: number;
  docs: SearchDocument[];
}

export function snapshotPath(dataDir: string, indexName: string): string {
  return path.join(dataDir, `search-${indexName}.json`);
}

/** Writes a snapshot durably; returns its size in bytes. */
export async function writeSnapshot(file: string, generation: number, docs: Iterable<SearchDocument>): Promise<number> {
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w');
  let bytes = 0;
  try {
    let chunk = `${JSON.stringify({ format: FORMAT, generation })}\n`;
    for (const doc of docs) {
      chunk += `${JSON.stringify(encodeDocument(doc))}\n`;
      // Written in pieces: a large index as one string would not fit in memory twice.
      if (chunk.length > 1 << 20) {
        bytes += (await handle.write(chunk)).bytesWritten;
        chunk = '';
      }
    }
    bytes += (await handle.write(chunk)).bytesWritten;
    await handle.sync();
  } catch (error) {
    await handle.close();
    await removeIfExists(temporary);
    throw error;
  }
  await handle.close();
  await rename(temporary, file);
  await fsyncDir(path.dirname(file));
  return bytes;
}

/** The snapshot; an empty one of generation 0 if there is none yet. Throws if it is unreadable. */
export async function readSnapshot(file: string): Promise<Snapshot> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { generation: 0, docs: [] };
    throw error;
  }
  const lines = text.split('\n').filter((line) => line !== '');
  const header = JSON.parse(lines[0] ?? '{}') as { format?: string; generation?: unknown; docs?: unknown };
  if (header.format === FORMAT_1 && Array.isArray(header.docs))
    return { generation: 0, docs: (header.docs as EncodedDocument[]).map(decodeDocument) };
  if (header.format !== FORMAT || typeof header.generation !== 'number') throw new Error(`${file} is not a search snapshot`);
  return { generation: header.generation, docs: lines.slice(1).map((line) => decodeDocument(JSON.parse(line) as EncodedDocument)) };
}
