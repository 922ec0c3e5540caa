/** A wait that has not settled yet, in the order it started (so in deadline order: the timeout is one for all). */
interface Pending {
  deadline: number;
  reject: (err: Error) => void;
}

/**
 * Bounds how long decisions wait for the kv (a Redis that is reconnecting queues commands for
 * seconds) with one timer for every pending decision, armed only while some are pending, instead
 * of a timer and a race per decision: on the request path that is two kv decisions per request,
 * and their timers were a measurable part of what limits cost the router.
 */
export class Deadlines {
  private readonly pending = new Set<Pending>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly message: string,
  ) {}

  /** `work`'s outcome, or a rejection once it has taken `timeoutMs` (it is then no longer awaited). */
  within<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { deadline: Date.now() + this.timeoutMs, reject };
      this.pending.add(entry);
      if (!this.timer) this.arm(this.timeoutMs);
      work.then(
        (value) => {
          this.pending.delete(entry);
          resolve(value);
        },
        (err: unknown) => {
          this.pending.delete(entry);
          reject(err);
        },
      );
    });
  }

  /** Pending waits (for tests). */
  get size(): number {
    return this.pending.size;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.expire(), Math.max(1, ms));
    // A pending kv call keeps the process alive by itself; this timer never needs to.
    this.timer.unref();
  }

  /** Rejects every wait past its deadline, then sleeps until the next one's (none pending: no timer). */
  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    for (const entry of this.pending) {
      if (entry.deadline > now) {
        this.arm(entry.deadline - now);
        return;
      }
      this.pending.delete(entry);
      entry.reject(new Error(this.message));
    }
  }
}
