import type { KvStore } from '@chatgraph/kit/kv';
import { policyMatches, type LimitPolicy, type PrincipalKind } from '@chatgraph/kit/limits';

/** What the open-streams counter needs. */
export interface OpenStreamsOptions {
  kv: KvStore;
  /**
   * A lease's length: every router re-counts its live subscriptions into each lease period, so a
   * killed router's subscriptions stop counting at most two periods after it died. Default 30000.
   */
  leaseMs?: number;
  /** Called when the kv fails (the decision then lets the subscription through: fail open). */
  onKvError?: (err: unknown) => void;
  now?: () => number;
}

/** An acquired slot, or the refusal's wait. */
export type StreamSlot = { ok: true } | { ok: false; open: number; retryAfterMs: number };

/**
 * The cap on open subscriptions for a caller of `kind`: the lowest enabled `concurrent-subscriptions`
 * policy that applies (an ADMIN changes it at run time like any policy), or undefined when none
 * does (no shared cap; the router's own per-router cap still holds).
 */
export function streamCap(policies: readonly LimitPolicy[], kind: PrincipalKind): LimitPolicy | undefined {
  let cap: LimitPolicy | undefined;
  for (const p of policies) if (policyMatches(p, 'concurrent-subscriptions', kind, [], undefined) && (!cap || p.limit < cap.limit)) cap = p;
  return cap;
}

const key = (user: string, epoch: number) => `limits:streams:${user}:${epoch}`;

/**
 * How many subscriptions each user holds open across every router sharing the kv, capped.
 *
 * The kv port has counters with expiry but no sets to scan, so leases are lease periods: time is
 * cut into periods of `leaseMs`, and a user's count for period `e` is a counter that expires two
 * periods later. Each router keeps the invariant "every subscription it holds is counted in every
 * period from the one it opened in up to `renewedThrough`": opening one adds 1 to those periods,
 * closing one takes 1 from the current period up to `renewedThrough`, and halfway through each
 * period a renewal adds the router's live counts to the next period (before it starts, so the
 * count never drops at a boundary). A killed router renews nothing: its subscriptions fall out of
 * the count within two periods, with no cleanup by anyone. A subscribe spends one round trip
 * (two in the second half of a period).
 */
export class OpenStreams {
  private readonly leaseMs: number;
  private readonly now: () => number;
  private readonly held = new Map<string, number>();
  /** The last period this router's live subscriptions are counted in. */
  private renewedThrough = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: OpenStreamsOptions) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** Takes a slot for `user` when the user holds fewer than `max` subscriptions on all routers together. */
  async acquire(user: string, max: number): Promise<StreamSlot> {
    const epoch = this.epoch();
    if (this.renewedThrough < epoch) await this.renew(epoch);
    this.held.set(user, (this.held.get(user) ?? 0) + 1);
    this.ensureTimer();
    const periods = this.periods(epoch);
    let counts: number[];
    try {
      counts = await Promise.all(periods.map((p) => this.options.kv.incrBy(key(user, p), 1, { ttlMs: 3 * this.leaseMs })));
    } catch (err) {
      this.options.onKvError?.(err);
      return { ok: true };
    }
    const open = counts[0] ?? 0;
    if (open <= max) return { ok: true };
    this.release(user);
    return { ok: false, open: open - 1, retryAfterMs: this.leaseMs };
  }

  /** Gives `user`'s slot back (fire and forget: a kv failure leaves the count high until the lease period ends). */
  release(user: string): void {
    const left = (this.held.get(user) ?? 0) - 1;
    if (left < 0) return;
    if (left > 0) this.held.set(user, left);
    else this.held.delete(user);
    for (const p of this.periods(this.epoch()))
      this.options.kv.incrBy(key(user, p), -1).catch((err: unknown) => this.options.onKvError?.(err));
    if (this.held.size === 0) this.stopTimer();
  }

  /** Stops renewing (the router stops: its subscriptions end, or their leases run out). */
  stop(): void {
    this.stopTimer();
  }

  private epoch(): number {
    return Math.floor(this.now() / this.leaseMs);
  }

  /** The current period up to `renewedThrough`: where this router's subscriptions are counted. */
  private periods(epoch: number): number[] {
    const last = Math.max(epoch, this.renewedThrough);
    const out: number[] = [];
    for (let p = epoch; p <= last; p++) out.push(p);
    return out;
  }

  /** Counts every live subscription into the periods after `renewedThrough` up to `through` (snapshot taken synchronously). */
  private async renew(through: number): Promise<void> {
    const from = Math.max(this.renewedThrough + 1, this.epoch());
    this.renewedThrough = Math.max(this.renewedThrough, through);
    const writes: Array<Promise<number>> = [];
    for (const [user, count] of this.held)
      for (let p = from; p <= through; p++) writes.push(this.options.kv.incrBy(key(user, p), count, { ttlMs: 3 * this.leaseMs }));
    try {
      await Promise.all(writes);
    } catch (err) {
      this.options.onKvError?.(err);
    }
  }

  /** Renews every half period while this router holds a subscription (the next period then already counts them). */
  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.renew(this.epoch() + 1), Math.max(1, Math.floor(this.leaseMs / 2)));
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
