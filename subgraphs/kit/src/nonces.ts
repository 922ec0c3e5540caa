/**
 * The nonces of signed router -> subgraph requests this instance has accepted, so that a
 * captured request cannot be sent again (see `signing.ts`). A nonce only needs remembering while
 * its timestamp could still pass the clock check, i.e. `2 × maxSkewMs` after it was accepted at the
 * latest, so memory is bounded by the request rate: two generations of `2 × maxSkewMs` each, the
 * older one dropped whole when the newer one is full of time (O(1), no timers, no per-entry expiry).
 *
 * Per instance: a request replayed to ANOTHER replica of the same subgraph within the window is
 * not caught here (the window keeps that short; a shared store would cost a round trip per request).
 */
export class NonceRegistry {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotatedAt: number;
  private readonly generationMs: number;

  constructor(maxSkewMs: number, now = Date.now()) {
    this.generationMs = 2 * maxSkewMs;
    this.rotatedAt = now;
  }

  /** Records `nonce`; false when it was already seen (a replay). */
  claim(nonce: string, now = Date.now()): boolean {
    this.rotate(now);
    if (this.current.has(nonce) || this.previous.has(nonce)) return false;
    this.current.add(nonce);
    return true;
  }

  /** Nonces remembered now (both generations). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  private rotate(now: number): void {
    const elapsed = now - this.rotatedAt;
    if (elapsed < this.generationMs) return;
    // Two generations or more without a request: everything remembered is past the window.
    this.previous = elapsed >= 2 * this.generationMs ? new Set() : this.current;
    this.current = new Set();
    this.rotatedAt = now;
  }
}
