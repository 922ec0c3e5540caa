/**
 * The key-value / pub-sub / streams port. It is shaped for its users rather than mirroring Redis:
 * resumable AI token streams (streaming, ai-gateway), a control channel to abort a generation on
 * whichever instance runs it, atomic counters and rate limiters (rate-limit), caches (API keys) and
 * notification fan-out. Two adapters: embedded (in-process, ephemeral) and Redis (ioredis).
 *
 * **Values are strings** everywhere (values, stream fields, messages): callers that store objects
 * `JSON.stringify` them, so both adapters store exactly the same bytes and nothing is guessed.
 * Keys share one namespace, as in Redis: a key holds a string, a counter, a stream or a limiter
 * state, and using it as another kind throws `KvWrongTypeError`.
 */

/** Options of `set`. */
export interface SetOptions {
  /** Expire the key after this many milliseconds (a positive integer). Without it, no expiry. */
  ttlMs?: number;
  /** Write only when the key does not exist (Redis `NX`); `set` then resolves `false` if it did. */
  ifAbsent?: boolean;
}

/** Options of `incrBy`. */
export interface IncrOptions {
  /**
   * Expiry given to the counter when it has none after the increment, i.e. when this increment
   * created it: later increments keep the first expiry, which makes fixed-window counters.
   * Set in the same atomic step as the increment, so a crash never leaves an immortal counter.
   */
  ttlMs?: number;
}

/** Plain keys: caches, flags, counters. */
export interface KeyValues {
  /** The value, or `null` when the key is missing or expired. */
  get(key: string): Promise<string | null>;
  /** Stores the value (replacing any expiry). Resolves `false` only when `ifAbsent` and the key existed. */
  set(key: string, value: string, options?: SetOptions): Promise<boolean>;
  /** Deletes a key of any kind (a stream too). Resolves whether it existed. */
  del(key: string): Promise<boolean>;
  /** Atomically adds `by` (an integer, may be negative) to the counter (missing = 0); resolves the new value. */
  incrBy(key: string, by: number, options?: IncrOptions): Promise<number>;
  /** Sets the expiry of an existing key of any kind; resolves `false` when the key does not exist. */
  expire(key: string, ttlMs: number): Promise<boolean>;
}

/** The algorithms `rateLimit` offers. Each keeps O(1) state per key and cleans it up by expiry. */
export type RateLimitAlgorithm = 'sliding-window' | 'token-bucket' | 'gcra';

/** One limit applied to one key. */
export interface RateLimitPolicy {
  /** Requests (cost units) allowed per window; a positive integer. */
  limit: number;
  /** The window in milliseconds; a positive integer. */
  windowMs: number;
  /**
   * `sliding-window` (default): at most `limit` in any window, estimated from the current and
   * previous fixed windows (the previous one weighted by its overlap), as Cloudflare and Redis
   * Labs describe. `token-bucket`: bursts of up to `limit`, refilled at `limit / windowMs`.
   * `gcra` (generic cell rate algorithm, as redis-cell and Stripe use): one timestamp per key (the
   * theoretical arrival time), requests spaced `windowMs / limit` apart with bursts of `limit`.
   */
  algorithm?: RateLimitAlgorithm;
  /** Units this request costs; an integer from 1 to `limit` (default 1). */
  cost?: number;
  /**
   * Decide without spending or storing anything (a status read: "would `cost` be allowed now?").
   * The result is what the call would have answered; nothing changes. Default false.
   */
  peek?: boolean;
}

/** The decision for one request, taken in one atomic step. */
export interface RateLimitResult {
  allowed: boolean;
  /** Whole units still available right after this request (0 when denied at the limit). */
  remaining: number;
  /** Epoch ms at which the full `limit` is available again if nothing else is spent. */
  resetAt: number;
  /** 0 when allowed; otherwise how long until this same request would be allowed (>= 1). */
  retryAfterMs: number;
  /** The policy's `limit`, echoed so callers can write `RateLimit-Policy` headers from the result alone. */
  limit: number;
}

/** Atomic limiters. Denied requests spend nothing. */
export interface RateLimiter {
  /**
   * Checks and spends in ONE atomic step (a Lua script on Redis, so N instances share one exact
   * limit): of N concurrent calls on a fresh key, exactly `limit` are allowed. Time is the
   * server's (Redis `TIME`), so instances with skewed clocks agree.
   */
  rateLimit(key: string, policy: RateLimitPolicy): Promise<RateLimitResult>;
}

/** One stream entry. */
export interface StreamEntry {
  /**
   * Sequence number, starting at 1 and increasing by exactly 1 per append to the stream, whoever
   * appends. A jump in a reader's sequence means entries were trimmed before it read them.
   */
  seq: number;
  fields: Readonly<Record<string, string>>;
}

/** Options of `append`. */
export interface AppendOptions {
  /**
   * Keep about this many newest entries (a positive integer), trimmed as part of the append.
   * Approximate, like Redis `MAXLEN ~`: at least `maxLen` newest entries stay, and the stream holds
   * at most `maxLen + 100` (Redis trims whole nodes of `stream-node-max-entries`, 100 by default).
   */
  maxLen?: number;
}

/** Options of `read`. */
export interface ReadOptions {
  /** Only entries with a greater `seq` (default 0: from the start). */
  after?: number;
  /** At most this many entries (default: all). */
  count?: number;
}

/** Options of `follow`. */
export interface FollowOptions {
  /** Replay entries with a greater `seq` first (default 0: the whole stream), then go live. */
  after?: number;
  /** Ends the iteration (without an error) when aborted. */
  signal?: AbortSignal;
}

/**
 * Append-only streams with per-stream sequence numbers: resumable token streams. A stream is a
 * key: `expire(stream, ttlMs)` when it completes keeps it readable "for a configured time", and
 * `del` removes it. A stream's end is the caller's convention (e.g. a final entry with a type
 * field): followers stop iterating themselves, or abort, or the store stops. A stream whose data
 * is gone (deleted, expired, or lost by a Redis restart without persistence) starts again at seq 1,
 * so give each generation its own stream key rather than reusing one.
 */
export interface Streams {
  /** Appends atomically and resolves the entry's `seq` (concurrent writers get distinct, ordered seqs). */
  append(stream: string, fields: Record<string, string>, options?: AppendOptions): Promise<number>;
  /** Entries in `seq` order; `[]` for a missing stream. */
  read(stream: string, options?: ReadOptions): Promise<StreamEntry[]>;
  /**
   * Every entry after `after`, in order, without gaps or duplicates, then each new entry as it is
   * appended — also when appends race with the start of the follow. The iterator's `return()`
   * (a `for await` break, a GraphQL subscription closing) ends it at once, even while waiting.
   * On Redis a follower outlives connection losses: it resumes from its last `seq`.
   */
  follow(stream: string, options?: FollowOptions): AsyncIterableIterator<StreamEntry>;
  /** Trims exactly to the `maxLen` newest entries (a positive integer); resolves how many were removed. */
  trim(stream: string, maxLen: number): Promise<number>;
}

/** Receives a published message. Errors it throws (or rejects with) are logged, never propagated. */
export type MessageHandler = (message: string, channel: string) => void | Promise<void>;

/** Removes one subscription; resolves once no further message reaches it. Safe to call twice. */
export type Unsubscribe = () => Promise<void>;

/**
 * Fire-and-forget messages to every current subscriber on every instance, delivered
 * asynchronously and in publish order per channel. At most once: a subscriber that is
 * disconnected when a message is published never gets it (use streams for what must not be lost).
 */
export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is active: a message published afterwards is delivered. */
  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe>;
}

/** The whole port, with its lifecycle. Every operation throws `KvUnavailableError` when the backend is down. */
export interface KvStore extends KeyValues, RateLimiter, Streams, PubSub {
  /** Connects (Redis) or starts the expiry sweep (embedded). Operations before `start()` throw. */
  start(): Promise<void>;
  /** Ends followers and subscriptions, then closes connections / timers. Safe to call twice. */
  stop(): Promise<void>;
  /** Throws `KvUnavailableError` when the store cannot serve requests (used by `/readyz`). */
  ping(): Promise<void>;
}
