/**
 * How many of something (sockets, subscriptions) each key (a user, an IP address) holds now,
 * each capped. Keys at zero are forgotten, so the map only holds keys with something open.
 */
export class KeyedCounts {
  private readonly counts = new Map<string, number>();

  /** What `key` holds now. */
  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Whether `key` may take one more under `max`. */
  allows(key: string, max: number): boolean {
    return this.count(key) < max;
  }

  /** `key` takes one more (the caller checked `allows`). */
  add(key: string): void {
    this.counts.set(key, this.count(key) + 1);
  }

  /** `key` gave one back. */
  remove(key: string): void {
    const left = this.count(key) - 1;
    if (left > 0) this.counts.set(key, left);
    else this.counts.delete(key);
  }
}
