import type { DocumentOp } from './database';

/**
 * Group commit over SQLite: every operation submitted in the same turn of the event loop (and
 * while the previous transaction ran) goes into one transaction, acknowledged after one fsync,
 * so throughput is bounded by fsync latency per batch rather than per write. The transaction is
 * synchronous (`node:sqlite`), which is also what keeps batches in submission order.
 */

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export class WriteBatch {
  private queue: DocumentOp[] = [];
  private waiters: Waiter[] = [];
  private scheduled: Promise<void> | undefined;
  private failure: Error | undefined;

  /** `commit` writes one batch durably (throws when it could not). */
  constructor(private readonly commit: (ops: readonly DocumentOp[]) => void) {}

  /**
   * The error that stopped writing, if any. After a failed commit the store refuses further
   * writes (memory already holds the change that did not become durable).
   */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Queues an operation; resolves once it is durable, rejects if its transaction failed. */
  submit(op: DocumentOp): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.queue.push(op);
    // Deferred so that every write made in this turn of the event loop joins the batch.
    this.scheduled ??= new Promise<void>((resolve) => setImmediate(() => resolve(this.flush())));
    return done;
  }

  /** Resolves once everything submitted so far was committed (or failed). */
  async drain(): Promise<void> {
    while (this.scheduled) await this.scheduled;
  }

  private flush(): void {
    const batch = this.queue;
    const waiters = this.waiters;
    this.queue = [];
    this.waiters = [];
    this.scheduled = undefined;
    if (this.failure) {
      for (const waiter of waiters) waiter.reject(this.failure);
      return;
    }
    try {
      this.commit(batch);
    } catch (error) {
      this.failure = asError(error);
      for (const waiter of waiters) waiter.reject(this.failure);
      return;
    }
    for (const waiter of waiters) waiter.resolve();
  }
}
