import { readFile } from 'node:fs/promises';
import { decodeJson, isPlainObject, isStoredDoc, type StoredDoc } from '../codec';
import { errorCode } from '../../../durability/files';

/**
 * Reader of the legacy (before SQLite) journal format, kept only to migrate old data
 * directories: one JSON line per acknowledged operation, the full new document for a put and
 * the id for a delete, replayed over the collection's snapshot.
 */

export type JournalOp = { op: 'put'; doc: StoredDoc } | { op: 'del'; id: string };

function parseOp(text: string): JournalOp | undefined {
  let value: unknown;
  try {
    value = decodeJson(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(value)) return undefined;
  if (value.op === 'put' && isStoredDoc(value.doc)) return { op: 'put', doc: value.doc };
  if (value.op === 'del' && typeof value.id === 'string') return { op: 'del', id: value.id };
  return undefined;
}

/** The journal has a bad line before its last one: not a crash artefact, so the store refuses to guess. */
export class JournalCorruptError extends Error {
  constructor(path: string, line: number, offset: number) {
    super(`journal ${path} is corrupt at line ${line} (byte ${offset}), before its last line: cannot migrate it`);
    this.name = 'JournalCorruptError';
  }
}

export interface ReplayResult {
  /** Operations replayed. */
  ops: number;
  /** Length of the valid prefix; anything after it is a torn or corrupt last line. */
  validBytes: number;
  fileBytes: number;
}

/**
 * Feeds every operation of a journal to `apply`, in order. A last line that is incomplete (no
 * newline: the crash came mid-write) or unparseable was never acknowledged, since a write is
 * acknowledged only after its whole batch is fsynced, so it is reported as not valid rather than
 * failing. An unparseable line before the last one means real corruption: `JournalCorruptError`.
 */
export async function replayJournal(path: string, apply: (op: JournalOp) => void): Promise<ReplayResult> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { ops: 0, validBytes: 0, fileBytes: 0 };
    throw error;
  }
  let start = 0;
  let ops = 0;
  while (start < data.length) {
    const end = data.indexOf(0x0a, start);
    if (end === -1) break; // torn tail
    const op = parseOp(data.toString('utf8', start, end));
    if (!op) {
      if (end + 1 === data.length) break; // corrupt last line
      throw new JournalCorruptError(path, ops + 1, start);
    }
    apply(op);
    ops++;
    start = end + 1;
  }
  return { ops, validBytes: start, fileBytes: data.length };
}
