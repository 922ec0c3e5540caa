import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SearchDocument } from '../port';

/**
 * Whole-index snapshots for the embedded engine: one JSON file per index, written to a temporary
 * file and renamed so that a crash leaves the previous snapshot intact. The index is derived data
 * (rebuildable from the owning services' events), so no write-ahead journal: a crash loses at most
 * the writes since the last snapshot.
 */

const FORMAT = 'chatgraph-search-snapshot/1';

interface SnapshotFile {
  format: typeof FORMAT;
  docs: Array<Omit<SearchDocument, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt?: string }>;
}

export function snapshotPath(dataDir: string, indexName: string): string {
  return path.join(dataDir, `search-${indexName}.json`);
}

export async function writeSnapshot(file: string, docs: Iterable<SearchDocument>): Promise<void> {
  const body: SnapshotFile = {
    format: FORMAT,
    docs: [...docs].map((doc) => ({ ...doc, createdAt: doc.createdAt.toISOString(), updatedAt: doc.updatedAt?.toISOString() })),
  };
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(body));
  await rename(temporary, file);
}

/** The snapshot's documents; none if there is no snapshot yet. Throws if it is unreadable. */
export async function readSnapshot(file: string): Promise<SearchDocument[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<SnapshotFile>;
  if (parsed.format !== FORMAT || !Array.isArray(parsed.docs)) throw new Error(`${file} is not a search snapshot`);
  return parsed.docs.map(({ createdAt, updatedAt, ...rest }) => {
    const doc: SearchDocument = { ...rest, createdAt: new Date(createdAt) };
    if (updatedAt !== undefined) doc.updatedAt = new Date(updatedAt);
    return doc;
  });
}
