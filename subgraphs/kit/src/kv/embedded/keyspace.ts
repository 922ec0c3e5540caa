import { KvWrongTypeError } from '../errors';
import type { GcraState, SlidingWindowState, TokenBucketState } from '../rateLimit';
import type { StreamLog } from './streamLog';

/** What a key holds; one namespace for every kind, as in Redis. */
export type StoredValue =
  | { kind: 'string'; value: string }
  | { kind: 'stream'; log: StreamLog }
  | { kind: 'token-bucket'; state: TokenBucketState }
  | { kind: 'sliding-window'; state: SlidingWindowState }
  | { kind: 'gcra'; state: GcraState };

/** The kinds of value a key can hold. */
export type ValueKind = StoredValue['kind'];

interface Slot {
  value: StoredValue;
  /** Epoch ms; undefined = no expiry. */
  expiresAt: number | undefined;
}

/**
 * The embedded key space: a Map with per-key expiry. Expired keys vanish lazily on access (so
 * expiry is exact as seen by callers) and by `sweep()`, which the store runs on an unref'd timer
 * so memory of keys nobody reads again is reclaimed — Redis does the same with its active cycle.
 */
export class Keyspace {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly now: () => number) {}

  /** The live value of a key, if any. */
  lookup(key: string): StoredValue | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    if (slot.expiresAt !== undefined && slot.expiresAt <= this.now()) {
      this.slots.delete(key);
      return undefined;
    }
    return slot.value;
  }

  /** The live value of a key of one kind; another kind throws `KvWrongTypeError` (limiter kinds are interchangeable). */
  lookupKind<K extends ValueKind>(key: string, kind: K): Extract<StoredValue, { kind: K }> | undefined {
    const value = this.lookup(key);
    if (!value || value.kind === kind) return value as Extract<StoredValue, { kind: K }> | undefined;
    if (isLimiter(value.kind) && isLimiter(kind)) return undefined;
    throw new KvWrongTypeError(key);
  }

  /** Stores a value with the given expiry (undefined = none), replacing whatever was there. */
  put(key: string, value: StoredValue, expiresAt: number | undefined): void {
    this.slots.set(key, { value, expiresAt });
  }

  /** Replaces the value and keeps the key's current expiry (what in-place updates such as INCRBY do). */
  update(key: string, value: StoredValue): void {
    const slot = this.slots.get(key);
    if (slot) slot.value = value;
    else this.slots.set(key, { value, expiresAt: undefined });
  }

  /** Whether the key (live) has an expiry. */
  hasExpiry(key: string): boolean {
    return this.lookup(key) !== undefined && this.slots.get(key)?.expiresAt !== undefined;
  }

  /** Sets the expiry of a live key; false when missing. */
  expireAt(key: string, expiresAt: number): boolean {
    if (this.lookup(key) === undefined) return false;
    const slot = this.slots.get(key);
    if (slot) slot.expiresAt = expiresAt;
    return true;
  }

  delete(key: string): boolean {
    const existed = this.lookup(key) !== undefined;
    this.slots.delete(key);
    return existed;
  }

  /** Drops every expired key; returns how many. */
  sweep(): number {
    const now = this.now();
    let removed = 0;
    for (const [key, slot] of this.slots) {
      if (slot.expiresAt !== undefined && slot.expiresAt <= now) {
        this.slots.delete(key);
        removed++;
      }
    }
    return removed;
  }

  clear(): void {
    this.slots.clear();
  }
}

function isLimiter(kind: ValueKind): boolean {
  return kind === 'token-bucket' || kind === 'sliding-window' || kind === 'gcra';
}
