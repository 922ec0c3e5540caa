/**
 * A circuit breaker per provider deployment: after `failureThreshold` consecutive failures it
 * opens and refuses calls, so a dead deployment costs no latency (the router goes straight to the
 * next one); after `cooldownMs` it lets exactly one probe through (half-open) and closes on its
 * success or reopens on its failure. The clock is injected so tests never wait.
 */

export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface CircuitBreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  now?: () => number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private probing = false;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The state as a caller would see it now (an open circuit past its cool-down reads HALF_OPEN). */
  get state(): CircuitState {
    if (this.openedAt === undefined) return 'CLOSED';
    if (this.probing || this.now() - this.openedAt >= this.options.cooldownMs) return 'HALF_OPEN';
    return 'OPEN';
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Whether a call may go through now; in half-open, only the first caller gets the probe. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'CLOSED') return true;
    if (state === 'OPEN' || this.probing) return false;
    this.probing = true;
    return true;
  }

  onSuccess(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.probing = false;
  }

  onFailure(): void {
    this.failures += 1;
    if (this.probing || this.openedAt !== undefined || this.failures >= this.options.failureThreshold) {
      this.openedAt = this.now();
      this.probing = false;
    }
  }

  /** The call ended neither way (aborted by its user): give the probe back. */
  release(): void {
    this.probing = false;
  }
}
