/** A wait `Deadlines.start` returned, to hand back to `done`. */
export type Wait = object;

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

  /**
   * Starts a wait: `onLate` is called once it has lasted `timeoutMs`, unless `done()` was called
   * first. Callers settle their own promise either way (one promise per decision, not a race).
   */
  start(onLate: (err: Error) => void): Wait {
    const entry: Pending = { deadline: Date.now() + this.timeoutMs, reject: onLate };
    this.pending.add(entry);
    if (!this.timer) this.arm(this.timeoutMs);
    return entry;
  }

  /** Ends a wait started by `start` (its `onLate` is then never called). */
  done(wait: Wait): void {
    this.pending.delete(wait as Pending);
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
