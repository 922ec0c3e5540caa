import { open, readFile, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, fsyncDir } from '../../store/embedded/files';
import { GroupCommit } from '../../store/embedded/groupCommit';
import type { EventHeaders } from '../port';

/**
 * One topic of the embedded bus: an append-only log file `<dir>/<topic>.log` holding every
 * partition's records as JSON lines, after a header line that fixes the partition count.
 * Appends are group-committed and fsynced before `append` resolves; consumers see a record only
 * once it is durable, so nothing handled can vanish in a crash.
 */

/** A durable record of one partition. */
export interface LogRecord {
  offset: number;
  key: string;
  value: string;
  headers: EventHeaders;
  timestamp: number;
}

interface Line {
  p: number;
  o: number;
  k: string;
  v: string;
  h: EventHeaders;
  t: number;
}

/** A log line before the last one is unreadable: real corruption, not a torn write, so the bus will not guess. */
export class TopicLogCorruptError extends Error {
  constructor(path: string, line: number) {
    super(`event log ${path} is corrupt at line ${line}, before its last line: refusing to start`);
    this.name = 'TopicLogCorruptError';
  }
}

function parseLine(text: string): Line | undefined {
  try {
    const value = JSON.parse(text) as Partial<Line> | null;
    if (!value || typeof value.p !== 'number' || typeof value.o !== 'number' || typeof value.k !== 'string' || typeof value.v !== 'string') return undefined;
    if (typeof value.h !== 'object' || value.h === null || typeof value.t !== 'number') return undefined;
    return value as Line;
  } catch {
    return undefined;
  }
}

/** Sends a wake-up to whoever waits for new records on a partition. */
type Waiter = () => void;

export class TopicLog {
  private readonly committer: GroupCommit<Array<{ partition: number; record: LogRecord }>>;
  /** Records appended but not yet durable, in line order (taken by `prepare`). */
  private pending: Array<{ partition: number; record: LogRecord }> = [];
  /** Next offset to assign per partition (durable or pending). */
  private readonly nextOffset: number[];
  private readonly waiters: Waiter[][];

  private constructor(
    readonly topic: string,
    private readonly file: FileHandle,
    /** Durable records per partition; index = offset. */
    private readonly records: LogRecord[][],
  ) {
    this.nextOffset = records.map((partition) => partition.length);
    this.waiters = records.map(() => []);
    this.committer = new GroupCommit({
      prepare: (batch) => this.pending.splice(0, batch.length),
      commit: async (text) => {
        await this.file.write(text);
        await this.file.datasync();
      },
      afterCommit: async (committed) => this.publishDurable(committed),
    });
  }

  get partitions(): number {
    return this.records.length;
  }

  /** Opens (or creates with `partitions`) the log of `topic`; a torn last line is cut off. */
  static async open(dir: string, topic: string, partitions: number): Promise<TopicLog> {
    const path = join(dir, `${topic}.log`);
    let data: string | undefined;
    try {
      data = await readFile(path, 'utf8');
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
    // No complete header line: the topic was never used (or its creation was cut short).
    if (data === undefined || !data.includes('\n')) {
      const created = await open(path, 'w');
      await created.write(`${JSON.stringify({ topic, partitions })}\n`);
      await created.sync();
      await fsyncDir(dir);
      return new TopicLog(topic, created, Array.from({ length: partitions }, () => []));
    }
    const records = await TopicLog.replay(path, data);
    return new TopicLog(topic, await open(path, 'a'), records);
  }

  private static async replay(path: string, data: string): Promise<LogRecord[][]> {
    const lines = data.split('\n');
    const header = JSON.parse(lines[0] ?? '') as { partitions?: unknown };
    if (typeof header.partitions !== 'number' || header.partitions < 1) throw new TopicLogCorruptError(path, 1);
    const records: LogRecord[][] = Array.from({ length: header.partitions }, () => []);
    let validBytes = Buffer.byteLength(`${lines[0]}\n`);
    // The text after the last newline is an unacknowledged torn write (or empty).
    const complete = lines.slice(1, -1);
    for (const [index, text] of complete.entries()) {
      const line = parseLine(text);
      const partition = line ? records[line.p] : undefined;
      if (!line || !partition || line.o !== partition.length) {
        if (index === complete.length - 1) break; // a torn last line that happened to end in a newline
        throw new TopicLogCorruptError(path, index + 2);
      }
      partition.push({ offset: line.o, key: line.k, value: line.v, headers: line.h, timestamp: line.t });
      validBytes += Buffer.byteLength(`${text}\n`);
    }
    if (validBytes < Buffer.byteLength(data)) await truncate(path, validBytes);
    return records;
  }

  /** Appends records to their partitions; resolves once they are fsynced and visible to consumers. */
  async append(entries: ReadonlyArray<{ partition: number; key: string; value: string; headers: EventHeaders }>): Promise<void> {
    const timestamp = Date.now();
    const writes = entries.map(({ partition, key, value, headers }) => {
      const offset = this.nextOffset[partition] ?? 0;
      this.nextOffset[partition] = offset + 1;
      const record: LogRecord = { offset, key, value, headers, timestamp };
      this.pending.push({ partition, record });
      const line: Line = { p: partition, o: offset, k: key, v: value, h: headers, t: timestamp };
      return this.committer.submit(`${JSON.stringify(line)}\n`);
    });
    await Promise.all(writes);
  }

  private publishDurable(committed: ReadonlyArray<{ partition: number; record: LogRecord }>): void {
    const touched = new Set<number>();
    for (const { partition, record } of committed) {
      this.records[partition]?.push(record);
      touched.add(partition);
    }
    for (const partition of touched) for (const wake of this.waiters[partition]?.splice(0) ?? []) wake();
  }

  /** The offset the next durable record of `partition` will have (its log end). */
  endOffset(partition: number): number {
    return this.records[partition]?.length ?? 0;
  }

  /** The durable record at `offset`, or undefined if it is not (yet) there. */
  read(partition: number, offset: number): LogRecord | undefined {
    return this.records[partition]?.[offset];
  }

  /** Resolves when a record past `offset - 1` is durable on `partition`, or when `signal` aborts. */
  waitFor(partition: number, offset: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.read(partition, offset)) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.waiters[partition]?.push(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  /** The error that stopped writes (a failed fsync), if any. */
  get failed(): Error | undefined {
    return this.committer.failed;
  }

  async close(): Promise<void> {
    await this.committer.drain();
    await this.file.close();
    for (const list of this.waiters) for (const wake of list.splice(0)) wake();
  }
}
