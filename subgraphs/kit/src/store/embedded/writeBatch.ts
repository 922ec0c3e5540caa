import type { DocumentOp } from './database';

/**
 * Group commit over SQLite: operations submitted while a transaction is being committed (or in
 * the same turn of the event loop) go into the next transaction together, acknowledged after one
 * fsync, so throughput is bounded by fsync latency per batch rather than per write. One
 * transaction at a time, in submission order.
 */

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Transactions committed (each one fsync of the WAL) and operations they carried, by every store
 * of this process: what the completions bench reports per completion, a figure load cannot skew.
 */
export const commitStats = { commits: 0, operations: 0 };

export class WriteBatch {
  private queue: DocumentOp[] = [];
  private waiters: Waiter[] = [];
  private running = false;
  private idle: Array<() => void> = [];
  private failure: Error | undefined;

  /** `commit` makes one batch durable (rejects when it could not). */
  constructor(private readonly commit: (ops: readonly DocumentOp[]) => Promise<void>) {}

  /**
   * The error that stopped writing, if any. After a failed commit the store refuses further
   * writes: memory already holds a change that did not become durable.
   */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Queues an operation; resolves once it is durable, rejects if its transaction failed. */
  submit(op: DocumentOp): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.queue.push(op);
    if (!this.running) {
      this.running = true;
      // Deferred so that every write made in this turn of the event loop joins the first batch.
      setImmediate(() => void this.run());
    }
    return done;
  }

  /** Resolves once everything submitted so far was committed (or failed). */
  async drain(): Promise<void> {
    if (!this.running) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0 && !this.failure) {
      const batch = this.queue;
      const waiters = this.waiters;
      this.queue = [];
      this.waiters = [];
      try {
        await this.commit(batch);
        commitStats.commits++;
        commitStats.operations += batch.length;
      } catch (error) {
        this.failure = asError(error);
        for (const waiter of [...waiters, ...this.waiters]) waiter.reject(this.failure);
        this.waiters = [];
        this.queue = [];
        break;
      }
      for (const waiter of waiters) waiter.resolve();
    }
    this.running = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
