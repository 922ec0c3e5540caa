import { open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { fsyncDir, removeIfExists } from '../../durability/files';
import { decodeDocument, encodeDocument, type EncodedDocument } from './codec';
import type { KeywordValues, SearchDocument } from '../port';

/**
 * The embedded engine's write-ahead journal: every write is appended as one line
 * (`<crc32 hex> <json>`) and fsynced before the write resolves, so a write a consumer saw succeed
 * (and acknowledged to the bus) survives a crash. Writes made while a batch is being synced are
 * group-committed (one fsync for all of them).
 *
 * Journals are numbered by generation: a snapshot of generation G (snapshot.ts) holds every write
 * of the journals before G, so those are deleted once it is durable. A process appends only to a
 * generation it opened itself: after a crash the next start opens a new one, so a line torn by the
 * crash is always the last of its file and replay skips just it.
 */

export type JournalEntry =
  | { op: 'upsert'; docs: SearchDocument[] }
  | { op: 'delete'; ids: string[] }
  | { op: 'deleteOwner'; ownerId: string }
  | { op: 'deleteMatching'; ownerId: string; keywords: KeywordValues };

type EncodedEntry = Exclude<JournalEntry, { op: 'upsert' }> | { op: 'upsert'; docs: EncodedDocument[] };

const NAME = /^search-(.+)\.(\d+)\.journal$/;

function journalPath(dataDir: string, indexName: string, generation: number): string {
  return path.join(dataDir, `search-${indexName}.${generation}.journal`);
}

function encodeLine(entry: JournalEntry): string {
  const encoded: EncodedEntry = entry.op === 'upsert' ? { op: 'upsert', docs: entry.docs.map(encodeDocument) } : entry;
  const json = JSON.stringify(encoded);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** The intact entries of one journal file, in order, and whether a damaged (torn) line ended it. */
function decodeLines(text: string): { entries: JournalEntry[]; torn: boolean } {
  const entries: JournalEntry[] = [];
  const lines = text.split('\n');
  // The text after the last newline is a line whose write never completed (or nothing).
  const complete = lines.slice(0, -1);
  for (const line of complete) {
    const json = line.slice(9);
    if (line[8] !== ' ' || crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return { entries, torn: true };
    const encoded = JSON.parse(json) as EncodedEntry;
    entries.push(encoded.op === 'upsert' ? { op: 'upsert', docs: encoded.docs.map(decodeDocument) } : encoded);
  }
  return { entries, torn: lines[lines.length - 1] !== '' };
}

/** Generations of the index's journals in `dataDir`, ascending. */
export async function journalGenerations(dataDir: string, indexName: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .map((name) => NAME.exec(name))
    .filter((match): match is RegExpExecArray => match !== null && match[1] === indexName)
    .map((match) => Number(match[2]))
    .sort((a, b) => a - b);
}

/** Every intact entry of the journals from generation `from` on, in write order; calls `onTorn` per damaged file. */
export async function readJournals(
  dataDir: string,
  indexName: string,
  from: number,
  onTorn: (file: string) => void,
): Promise<JournalEntry[]> {
  const entries: JournalEntry[] = [];
  for (const generation of await journalGenerations(dataDir, indexName)) {
    if (generation < from) continue;
    const file = journalPath(dataDir, indexName, generation);
    const decoded = decodeLines(await readFile(file, 'utf8'));
    if (decoded.torn) onTorn(file);
    entries.push(...decoded.entries);
  }
  return entries;
}

interface Pending {
  generation: number;
  line: string;
  ack: { resolve: () => void; reject: (error: Error) => void };
}

/** Appends entries to the current generation's journal, durably, in order. */
export class JournalWriter {
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private handle: FileHandle | undefined;
  private handleGeneration = -1;
  /** Bytes appended since the last rotation: what a snapshot would absorb. */
  bytesSinceRotation = 0;

  constructor(
    private readonly dataDir: string,
    private readonly indexName: string,
    /** The generation appends go to; `rotate()` moves on to the next. */
    private generation: number,
  ) {}

  /** Resolves once the entry is fsynced. Entries appended in one turn share one fsync. */
  append(entry: JournalEntry): Promise<void> {
    const line = encodeLine(entry);
    this.bytesSinceRotation += line.length;
    const acked = new Promise<void>((resolve, reject) =>
      this.pending.push({ generation: this.generation, line, ack: { resolve, reject } }),
    );
    this.flushing ??= this.flushLoop();
    return acked;
  }

  /**
   * Sends later appends to a new generation and returns it: a snapshot of the index taken now
   * (synchronously, before any other write) holds every entry of the earlier generations.
   */
  rotate(): number {
    this.generation += 1;
    this.bytesSinceRotation = 0;
    return this.generation;
  }

  /** Waits until everything appended so far is fsynced (or failed). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
  }

  /** Deletes the journals of generations before `generation` (absorbed by a durable snapshot). */
  async removeBefore(generation: number): Promise<void> {
    for (const old of await journalGenerations(this.dataDir, this.indexName)) {
      if (old >= generation || old === this.handleGeneration) continue;
      await removeIfExists(journalPath(this.dataDir, this.indexName, old));
    }
    await fsyncDir(this.dataDir);
  }

  async close(): Promise<void> {
    await this.idle();
    await this.handle?.close();
    this.handle = undefined;
    this.handleGeneration = -1;
  }

  private async flushLoop(): Promise<void> {
    // Deferred so that the appends of this turn of the event loop share one fsync.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.pending.length > 0) await this.flush(this.pending.splice(0));
    } finally {
      this.flushing = undefined;
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      // Generations only grow: the batch is runs of one generation each, in order.
      for (let start = 0; start < batch.length;) {
        const generation = batch[start]!.generation;
        let end = start;
        while (end < batch.length && batch[end]!.generation === generation) end++;
        const handle = await this.handleFor(generation);
        await handle.write(
          batch
            .slice(start, end)
            .map((pending) => pending.line)
            .join(''),
        );
        await handle.datasync();
        start = end;
      }
    } catch (error) {
      // Not acknowledged: the caller's write fails (and its event is delivered again).
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const { ack } of batch) ack.reject(failure);
      return;
    }
    for (const { ack } of batch) ack.resolve();
  }

  private async handleFor(generation: number): Promise<FileHandle> {
    if (this.handle && this.handleGeneration === generation) return this.handle;
    const previous = this.handle;
    this.handle = undefined;
    if (previous) {
      await previous.datasync();
      await previous.close();
    }
    this.handle = await open(journalPath(this.dataDir, this.indexName, generation), 'a');
    this.handleGeneration = generation;
    // The new file's directory entry must be durable too, or a crash could lose the whole file.
    await fsyncDir(this.dataDir);
    return this.handle;
  }
}
