import { Worker } from 'node:worker_threads';
import { encodeJson } from './codec';
import { rowChecksum, type DocumentOp } from './database';

/**
 * The store's write connection, on a worker thread. `node:sqlite` is synchronous: a commit with
 * `synchronous=FULL` blocks its thread for the WAL fsync (milliseconds on a busy disk). On the
 * main thread that would stall every request of the service for each commit, and no write could
 * queue for the next group commit meanwhile. On a worker, the main thread keeps serving and
 * queueing while the worker commits, as the async fsync of the old journal allowed.
 *
 * The worker is plain JavaScript (evaluated, no loader needed), kept tiny: it runs one
 * transaction per message and answers ok or the error. Rows are encoded (JSON + CRC) on the
 * main thread so the worker only writes.
 */

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.file);
db.exec('PRAGMA journal_mode = WAL');
db.exec('PRAGMA synchronous = FULL');
db.exec('PRAGMA wal_autocheckpoint = ' + workerData.checkpointPages);
const put = db.prepare('INSERT INTO documents (collection, id, doc, crc) VALUES (?, ?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET doc = excluded.doc, crc = excluded.crc');
const del = db.prepare('DELETE FROM documents WHERE collection = ? AND id = ?');
const meta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
function transaction(body) {
  db.exec('BEGIN IMMEDIATE');
  try {
    body();
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
parentPort.on('message', (message) => {
  try {
    if (message.close) {
      transaction(() => meta.run('session', 'closed'));
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      db.close();
    } else {
      transaction(() => {
        for (const row of message.rows) {
          if (row.length === 4) put.run(row[0], row[1], row[2], row[3]);
          else del.run(row[0], row[1]);
        }
      });
    }
    parentPort.postMessage({ id: message.id, ok: true });
  } catch (error) {
    parentPort.postMessage({ id: message.id, ok: false, error: String((error && error.message) || error) });
  }
});
`;

/** A row as the worker takes it: `[collection, id, json, crc]` to put, `[collection, id]` to delete. */
type Row = [string, string, string, number] | [string, string];

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
}

function isReply(value: unknown): value is Reply {
  return value !== null && typeof value === 'object' && typeof (value as Reply).id === 'number' && typeof (value as Reply).ok === 'boolean';
}

/** Sends transactions to the writer thread; one at a time is what the caller (WriteBatch) does. */
export class SqliteWriter {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private exited: Error | undefined;

  constructor(file: string, checkpointPages: number) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, checkpointPages } });
    this.worker.on('message', (reply: unknown) => {
      if (!isReply(reply)) return;
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) waiter?.resolve();
      else waiter?.reject(new Error(`cannot write ${file}: ${reply.error ?? 'unknown error'}`));
      this.settle();
    });
    const fail = (error: Error): void => {
      this.exited ??= error;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the SQLite writer thread of ${file} exited (code ${code})`)));
    this.worker.unref();
  }

  /** Commits the operations in one transaction; resolves once it is durable. */
  write(ops: readonly DocumentOp[]): Promise<void> {
    const rows: Row[] = ops.map((op) => {
      if (!('put' in op)) return [op.collection, op.del];
      const json = encodeJson(op.put);
      return [op.collection, op.put._id, json, rowChecksum(json)];
    });
    return this.send({ rows });
  }

  /** Marks the session closed, checkpoints and closes the database, then ends the thread. */
  async close(): Promise<void> {
    if (this.exited) return;
    try {
      await this.send({ close: true });
    } finally {
      await this.worker.terminate();
    }
  }

  private send(message: { rows: Row[] } | { close: true }): Promise<void> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    // Referenced while a transaction is pending: the process must not exit before it is durable.
    this.worker.ref();
    this.worker.postMessage({ id, ...message });
    return done;
  }

  private settle(): void {
    if (this.pending.size === 0) this.worker.unref();
  }
}
