/**
 * Group commit: lines submitted while a batch is being written and fsynced (or in the same turn
 * of the event loop) are written together and acknowledged after one fsync, so throughput is
 * bounded by fsync latency per batch rather than per write.
 */

export interface CommitHandler<P> {
  /**
   * Runs synchronously as a batch is taken from the queue, so it sees exactly the in-memory
   * state that the journal will hold once this batch is written (storage.ts relies on it to
   * capture a snapshot).
   */
  prepare(batch: readonly string[]): P;
  /** Writes and fsyncs the batch. A failure fails the committer for good. */
  commit(text: string): Promise<void>;
  /** Runs after the batch's writers were acknowledged and before the next batch (compaction). */
  afterCommit(prepared: P): Promise<void>;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export class GroupCommit<P> {
  private queue: string[] = [];
  private waiters: Waiter[] = [];
  private running = false;
  private idle: Array<() => void> = [];
  private failure: Error | undefined;

  constructor(private readonly handler: CommitHandler<P>) {}

  /**
   * The error that stopped the committer, if any. After a failed fsync the durable state is
   * unknown (the kernel may have dropped the dirty pages), so nothing is retried or acknowledged.
   */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Queues a line; resolves once it is durable, rejects if its batch could not be made durable. */
  submit(line: string): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.queue.push(line);
    if (!this.running) {
      this.running = true;
      // Deferred so that every write made in this turn of the event loop joins the first batch.
      setImmediate(() => void this.run());
    }
    return done;
  }

  /** Resolves once everything submitted so far was written (or failed) and any compaction finished. */
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
      let prepared: P;
      try {
        prepared = this.handler.prepare(batch);
        await this.handler.commit(batch.join(''));
      } catch (error) {
        this.fail(asError(error), waiters);
        break;
      }
      for (const waiter of waiters) waiter.resolve();
      try {
        await this.handler.afterCommit(prepared);
      } catch (error) {
        this.fail(asError(error), []);
      }
    }
    this.running = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private fail(error: Error, waiters: Waiter[]): void {
    this.failure = error;
    for (const waiter of [...waiters, ...this.waiters]) waiter.reject(error);
    this.waiters = [];
    this.queue = [];
  }
}
