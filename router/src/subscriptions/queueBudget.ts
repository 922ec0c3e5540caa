import type { UpstreamEvent } from './upstreamConnections';

/** What holds queued events against the budget: ended by it when it holds the most. */
export interface BudgetHolder {
  /** Ends the holder with SLOW_CONSUMER; it gives its bytes back (`releaseAll`) as it ends. */
  evict(maxBytes: number): void;
}

/** An event's bytes, computed once: events of a shared upstream are the same object for every client. */
const sizes = new WeakMap<UpstreamEvent, number>();

/** The approximate memory of an event waiting to be sent: its JSON length (UTF-16 units, as held). */
export function eventBytes(event: UpstreamEvent): number {
  let size = sizes.get(event);
  if (size === undefined) {
    size = JSON.stringify(event).length;
    sizes.set(event, size);
  }
  return size;
}

/**
 * One memory budget for the events waiting in every client subscription's queue. Each queue is
 * bounded in count (SUBSCRIPTION_QUEUE_LIMIT), but thousands of slow clients times large events
 * would still exhaust the router: past `maxBytes` in total, the holders with the most bytes
 * waiting (the slowest consumers) are ended until the total fits again.
 */
export class QueueBudget {
  private total = 0;
  private readonly held = new Map<BudgetHolder, number>();

  constructor(readonly maxBytes: number) {}

  /** Bytes waiting in every queue now. */
  get bytes(): number {
    return this.total;
  }

  /** `holder` queued `bytes` more; may evict the slowest holders (this one included). */
  add(holder: BudgetHolder, bytes: number): void {
    this.held.set(holder, (this.held.get(holder) ?? 0) + bytes);
    this.total += bytes;
    while (this.total > this.maxBytes) {
      const slowest = this.slowest();
      if (!slowest) break;
      slowest.evict(this.maxBytes);
      // Whatever the holder did, its bytes are no longer counted: the loop always ends.
      this.releaseAll(slowest);
    }
  }

  /** `holder` sent (or dropped) `bytes` of its queue. */
  release(holder: BudgetHolder, bytes: number): void {
    const held = this.held.get(holder);
    if (held === undefined) return;
    const left = held - bytes;
    this.total -= Math.min(bytes, held);
    if (left > 0) this.held.set(holder, left);
    else this.held.delete(holder);
  }

  /** `holder` ended: none of its bytes are waiting any more. */
  releaseAll(holder: BudgetHolder): void {
    const held = this.held.get(holder);
    if (held === undefined) return;
    this.total -= held;
    this.held.delete(holder);
  }

  /** Linear in the holders with events waiting; runs only when the budget is exceeded. */
  private slowest(): BudgetHolder | undefined {
    let slowest: BudgetHolder | undefined;
    let most = 0;
    for (const [holder, bytes] of this.held) {
      if (bytes > most) {
        most = bytes;
        slowest = holder;
      }
    }
    return slowest;
  }
}
