import type { RateLimitAlgorithm, RateLimitPolicy, RateLimitResult } from './port';
import { assertPositiveInt } from './validate';

/**
 * The rate-limit algorithms as pure functions of (stored state, now). The embedded adapter calls
 * them directly; the Redis Lua script (`redis/scripts.ts`) is a line-by-line transcription, and a
 * real-server test feeds both the same inputs. The arithmetic is kept in integers (scaled by the
 * window) so JS and Lua — both doubles — agree exactly and no rounding drift accumulates.
 */

const MAX_SCALED = 2 ** 50;

/** A policy with its defaults applied and checked. */
export interface ResolvedPolicy {
  limit: number;
  windowMs: number;
  algorithm: RateLimitAlgorithm;
  cost: number;
}

/** Token bucket state: the fill `level` at `ts` (epoch ms), in tokens × windowMs so refills stay integers. */
export interface TokenBucketState {
  level: number;
  ts: number;
}

/** Sliding-window state: counts of the fixed window `win` (index of `windowMs` periods) and the one before. */
export interface SlidingWindowState {
  win: number;
  curr: number;
  prev: number;
}

/**
 * GCRA state: the theoretical arrival time (TAT) as whole milliseconds `ms` plus `rem / limit` of
 * a millisecond. The emission interval `windowMs / limit` is rarely a whole number of ms; keeping
 * the remainder as an integer numerator keeps every step exact (no drift), in JS and in Lua.
 */
export interface GcraState {
  ms: number;
  rem: number;
}

/** One step: the decision, the state to store and for how long (state is dropped when `ttlMs` is 0). */
export interface LimiterStep<S> {
  result: RateLimitResult;
  state: S;
  ttlMs: number;
}

/** Applies defaults and refuses what no algorithm could honour (e.g. a cost above the limit). */
export function resolvePolicy(policy: RateLimitPolicy): ResolvedPolicy {
  const { limit, windowMs } = policy;
  const algorithm = policy.algorithm ?? 'sliding-window';
  const cost = policy.cost ?? 1;
  assertPositiveInt('limit', limit);
  assertPositiveInt('windowMs', windowMs);
  assertPositiveInt('cost', cost);
  if (cost > limit) throw new RangeError(`cost (${cost}) cannot exceed limit (${limit}): it would never be allowed`);
  // Keeps the scaled integer arithmetic below (and in Lua) exact: it needs 2 × limit × windowMs < 2^53.
  if (limit * windowMs > MAX_SCALED) throw new RangeError(`limit × windowMs must not exceed ${MAX_SCALED}`);
  if (algorithm !== 'sliding-window' && algorithm !== 'token-bucket' && algorithm !== 'gcra')
    throw new RangeError(`unknown rate-limit algorithm ${String(algorithm)}`);
  return { limit, windowMs, algorithm, cost };
}

/**
 * Token bucket: holds up to `limit` tokens, refilled continuously at `limit / windowMs` per ms.
 * Kept in units of tokens × windowMs, every quantity is an integer below 2^53, so this and the
 * Lua transcription compute exactly, with no drift from adding fractional refills.
 * A missing state is a full bucket; the state expires when the bucket would be full again.
 */
export function tokenBucketStep(state: TokenBucketState | undefined, now: number, p: ResolvedPolicy): LimiterStep<TokenBucketState> {
  const size = p.windowMs;
  const full = p.limit * size;
  const price = p.cost * size;
  let level = full;
  if (state) level = Math.min(full, state.level + Math.max(0, now - state.ts) * p.limit);
  const allowed = level >= price;
  if (allowed) level = level - price;
  const fullInMs = Math.ceil((full - level) / p.limit);
  return {
    result: {
      allowed,
      remaining: Math.floor(level / size),
      resetAt: now + fullInMs,
      retryAfterMs: allowed ? 0 : Math.ceil((price - level) / p.limit),
      limit: p.limit,
    },
    state: { level, ts: now },
    ttlMs: fullInMs,
  };
}

/**
 * Sliding window (two fixed windows): the load is `prev * (1 - elapsed / windowMs) + curr`; a
 * request is allowed when load + cost <= limit. Scaled by windowMs (`loadW`), it is integer
 * arithmetic. `retryAfterMs` solves the inequality for the earliest instant, first within this
 * window (prev's weight decaying), else in the next (curr becoming prev). The state lives until
 * both windows have passed.
 */
export function slidingWindowStep(state: SlidingWindowState | undefined, now: number, p: ResolvedPolicy): LimiterStep<SlidingWindowState> {
  const size = p.windowMs;
  const win = Math.floor(now / size);
  let curr = 0;
  let prev = 0;
  if (state && state.win === win) {
    curr = state.curr;
    prev = state.prev;
  } else if (state && state.win === win - 1) {
    prev = state.curr;
  }
  const start = win * size;
  const elapsed = now - start;
  let loadW = prev * (size - elapsed) + curr * size;
  const allowed = loadW + p.cost * size <= p.limit * size;
  let retryAfterMs = 0;
  if (allowed) {
    curr = curr + p.cost;
    loadW = loadW + p.cost * size;
  } else {
    const room = p.limit - curr - p.cost;
    let at: number;
    if (room >= 0 && prev > 0) at = start + Math.ceil((size * (prev - room)) / prev);
    else at = start + size + Math.ceil((size * Math.max(0, curr - (p.limit - p.cost))) / curr);
    retryAfterMs = Math.max(1, at - now);
  }
  let resetAt = now;
  if (curr > 0) resetAt = start + 2 * size;
  else if (prev > 0) resetAt = start + size;
  return {
    result: { allowed, remaining: Math.max(0, Math.floor((p.limit * size - loadW) / size)), resetAt, retryAfterMs, limit: p.limit },
    state: { win, curr, prev },
    ttlMs: start + 2 * size - now,
  };
}

/**
 * GCRA (generic cell rate algorithm): each unit of cost pushes the theoretical arrival time (TAT)
 * `windowMs / limit` further; a request is allowed when the TAT it would leave is at most
 * `windowMs` ahead of now (a burst of `limit`, then one unit per emission interval). Quantities
 * "ahead of now" are kept scaled by `limit` (ms × limit), integers below `limit × windowMs`.
 * A denied request leaves the TAT as it was; the state expires when the TAT is in the past.
 */
export function gcraStep(state: GcraState | undefined, now: number, p: ResolvedPolicy): LimiterStep<GcraState> {
  const period = p.limit * p.windowMs;
  let ms = now;
  let rem = 0;
  // TAT = max(stored TAT, now).
  if (state && (state.ms > now || (state.ms === now && state.rem > 0))) {
    ms = state.ms;
    rem = state.rem;
  }
  const add = rem + p.cost * p.windowMs;
  const nextMs = ms + Math.floor(add / p.limit);
  const nextRem = add % p.limit;
  const aheadNext = (nextMs - now) * p.limit + nextRem;
  const allowed = aheadNext <= period;
  const kept = allowed ? { ms: nextMs, rem: nextRem } : { ms, rem };
  const ahead = (kept.ms - now) * p.limit + kept.rem;
  const fullInMs = Math.ceil(ahead / p.limit);
  return {
    result: {
      allowed,
      remaining: Math.floor((period - ahead) / p.windowMs),
      resetAt: now + fullInMs,
      retryAfterMs: allowed ? 0 : Math.ceil((aheadNext - period) / p.limit),
      limit: p.limit,
    },
    state: kept,
    ttlMs: fullInMs,
  };
}
