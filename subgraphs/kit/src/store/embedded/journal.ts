import { open, readFile, type FileHandle } from 'node:fs/promises';
import { decodeJson, encodeJson, isPlainObject, isStoredDoc, type StoredDoc } from './codec';
import { errorCode } from './files';

/**
 * A collection's append-only journal: one JSON line per acknowledged operation, the full new
 * document for a put and the id for a delete. Both are idempotent, which is what makes replay
 * over a newer snapshot safe (see storage.ts).
 */

export type JournalOp = { op: 'put'; doc: StoredDoc } | { op: 'del'; id: string };

/** The journal line of an operation, newline included. */
export function encodeOp(op: JournalOp): string {
  return `${encodeJson(op)}\n`;
}

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
    super(`journal ${path} is corrupt at line ${line} (byte ${offset}), before its last line: refusing to start`);
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

/** The open journal file. Only the group committer calls `append`, one call at a time. */
export class JournalFile {
  private constructor(
    private readonly handle: FileHandle,
    private size: number,
  ) {}

  /**
   * Opens (creating) the journal for appending. `validBytes` from replay cuts off a torn last
   * line first, so new lines never get glued onto garbage.
   */
  static async open(path: string, validBytes: number): Promise<JournalFile> {
    const handle = await open(path, 'a');
    try {
      const { size } = await handle.stat();
      if (size > validBytes) {
        await handle.truncate(validBytes);
        await handle.sync();
      }
      return new JournalFile(handle, Math.min(size, validBytes));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get bytes(): number {
    return this.size;
  }

  /** Appends and makes the data durable (fdatasync also persists the file size). */
  async append(text: string): Promise<void> {
    const data = Buffer.from(text, 'utf8');
    await this.handle.appendFile(data);
    await this.handle.datasync();
    this.size += data.length;
  }

  /** Empties the journal durably (after a snapshot holding its content was made durable). */
  async reset(): Promise<void> {
    await this.handle.truncate(0);
    await this.handle.sync();
    this.size = 0;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
