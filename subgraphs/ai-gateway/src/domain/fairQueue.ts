/**
 * The waiting generations of one instance, served round-robin by owner rather than first-come:
 * each owner has a FIFO queue, and the next job comes from the owner served longest ago (an owner
 * never served first), so one user's burst waits behind one job of every other user instead of
 * in front of all of them. The turn is remembered while an owner has nothing waiting: a user
 * whose job just started does not jump the line by sending the next one. `take` also skips owners
 * that may not run more right now (the per-user cap on running generations); they keep their turn.
 */
export class FairQueue<T> {
  /** Each owner's waiting jobs, oldest first, in the order owners arrived. */
  private readonly byOwner = new Map<string, T[]>();
  /** When each owner was last served (a counter of `take`s). */
  private readonly lastServed = new Map<string, number>();
  private turns = 0;
  private count = 0;

  constructor(private readonly ownerOf: (item: T) => string) {}

  /** Jobs waiting, over every owner. */
  get size(): number {
    return this.count;
  }

  /** Queues `item` at the end of its owner's queue. */
  push(item: T): void {
    const owner = this.ownerOf(item);
    const queue = this.byOwner.get(owner);
    if (queue) queue.push(item);
    else this.byOwner.set(owner, [item]);
    this.count++;
  }

  /** The oldest job of the owner served longest ago among those `mayRun` allows, or undefined. */
  take(mayRun: (owner: string) => boolean = () => true): T | undefined {
    let chosen: string | undefined;
    let chosenTurn = Infinity;
    for (const owner of this.byOwner.keys()) {
      const turn = this.lastServed.get(owner) ?? -1;
      if (turn < chosenTurn && mayRun(owner)) {
        chosen = owner;
        chosenTurn = turn;
      }
    }
    if (chosen === undefined) return undefined;
    const queue = this.byOwner.get(chosen) ?? [];
    const item = queue.shift();
    if (queue.length === 0) this.byOwner.delete(chosen);
    if (item === undefined) return undefined;
    this.count--;
    this.lastServed.set(chosen, ++this.turns);
    this.forgetOldTurns();
    return item;
  }

  /** Every waiting job, each owner's oldest first. */
  items(): T[] {
    return [...this.byOwner.values()].flat();
  }

  /**
   * Bounds `lastServed`: an owner with nothing waiting whose turn is older than every waiting
   * owner's would be chosen first on its return anyway, so forgetting it changes no order that
   * matters (it then ties with owners never served, which come in arrival order).
   */
  private forgetOldTurns(): void {
    if (this.lastServed.size <= 2 * this.byOwner.size + 100) return;
    let oldestWaiting = Infinity;
    for (const owner of this.byOwner.keys()) oldestWaiting = Math.min(oldestWaiting, this.lastServed.get(owner) ?? -1);
    for (const [owner, turn] of this.lastServed) if (!this.byOwner.has(owner) && turn < oldestWaiting) this.lastServed.delete(owner);
  }
}
