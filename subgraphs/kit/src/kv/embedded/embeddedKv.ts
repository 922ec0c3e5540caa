import { KvNotRunningError, KvWrongTypeError } from '../errors';
import { stopSignal, StreamFollower } from '../follow';
import { silentAdapterLogger, type AdapterLogger } from '../../adapterLogger';
import type {
  AppendOptions,
  FollowOptions,
  IncrOptions,
  KvStore,
  MessageHandler,
  RateLimitPolicy,
  RateLimitResult,
  ReadOptions,
  SetOptions,
  StreamEntry,
  Unsubscribe,
} from '../port';
import { gcraStep, resolvePolicy, slidingWindowStep, tokenBucketStep } from '../rateLimit';
import { assertInt, assertNonNegativeInt, assertPositiveInt, assertStreamFields } from '../validate';
import { Keyspace } from './keyspace';
import { EmbeddedPubSub } from './pubsub';
import { EmbeddedStreams } from './streams';

/** Options of the embedded key-value store. */
export interface EmbeddedKvOptions {
  logger?: AdapterLogger;
  /** How often expired keys nobody reads are reclaimed (default 5 s). Reads never see expired keys regardless. */
  sweepIntervalMs?: number;
  /** The clock (epoch ms); tests pass a fake one to step limiters and expiries deterministically. */
  now?: () => number;
}

type Phase = 'new' | 'running' | 'stopped';

/**
 * The embedded adapter: everything in this process's memory, same semantics as the Redis adapter.
 * It holds ephemeral data only — token streams kept for a configured time, counters, limiter state,
 * caches — so it is deliberately not persisted: a restart of the single embedded process loses
 * in-flight generations anyway. Pub/sub reaches subscribers of this process only, which in the
 * embedded run mode is every subscriber there is.
 */
class EmbeddedKv implements KvStore {
  private phase: Phase = 'new';
  private readonly now: () => number;
  private readonly keyspace: Keyspace;
  private readonly streams: EmbeddedStreams;
  private readonly pubsub: EmbeddedPubSub;
  /** Aborted by stop(); every follower listens to it, so it may have many listeners. */
  private readonly stopping = stopSignal();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly options: EmbeddedKvOptions) {
    this.now = options.now ?? Date.now;
    this.keyspace = new Keyspace(this.now);
    this.streams = new EmbeddedStreams(this.keyspace);
    this.pubsub = new EmbeddedPubSub(options.logger ?? silentAdapterLogger);
  }

  async start(): Promise<void> {
    if (this.phase === 'stopped') throw new KvNotRunningError('stopped');
    if (this.phase === 'running') return;
    this.phase = 'running';
    this.sweeper = setInterval(() => this.keyspace.sweep(), this.options.sweepIntervalMs ?? 5000);
    this.sweeper.unref(); // reclaiming memory must never keep a process alive
  }

  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    this.phase = 'stopped';
    clearInterval(this.sweeper);
    this.stopping.abort();
    this.pubsub.clear();
    this.keyspace.clear();
  }

  async ping(): Promise<void> {
    this.guard();
  }

  async get(key: string): Promise<string | null> {
    this.guard();
    return this.keyspace.lookupKind(key, 'string')?.value ?? null;
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    this.guard();
    if (options.ttlMs !== undefined) assertPositiveInt('ttlMs', options.ttlMs);
    if (options.ifAbsent && this.keyspace.lookup(key) !== undefined) return false;
    const expiresAt = options.ttlMs === undefined ? undefined : this.now() + options.ttlMs;
    this.keyspace.put(key, { kind: 'string', value }, expiresAt);
    return true;
  }

  async del(key: string): Promise<boolean> {
    this.guard();
    return this.keyspace.delete(key);
  }

  async incrBy(key: string, by: number, options: IncrOptions = {}): Promise<number> {
    this.guard();
    assertInt('by', by);
    if (options.ttlMs !== undefined) assertPositiveInt('ttlMs', options.ttlMs);
    const current = this.keyspace.lookupKind(key, 'string')?.value ?? '0';
    // Same rule as Redis INCRBY: only a canonical integer string is a counter.
    if (!/^-?\d+$/.test(current) || !Number.isSafeInteger(Number(current))) throw new KvWrongTypeError(key);
    const next = Number(current) + by;
    if (!Number.isSafeInteger(next)) throw new RangeError(`counter ${key} would overflow`);
    this.keyspace.update(key, { kind: 'string', value: String(next) });
    if (options.ttlMs !== undefined && !this.keyspace.hasExpiry(key)) this.keyspace.expireAt(key, this.now() + options.ttlMs);
    return next;
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    this.guard();
    assertPositiveInt('ttlMs', ttlMs);
    return this.keyspace.expireAt(key, this.now() + ttlMs);
  }

  async rateLimit(key: string, policy: RateLimitPolicy): Promise<RateLimitResult> {
    this.guard();
    const p = resolvePolicy(policy);
    const now = this.now();
    if (p.algorithm === 'token-bucket') {
      const step = tokenBucketStep(this.keyspace.lookupKind(key, 'token-bucket')?.state, now, p);
      this.storeLimiter(key, { kind: 'token-bucket', state: step.state }, now, step.ttlMs, policy.peek);
      return step.result;
    }
    if (p.algorithm === 'gcra') {
      const step = gcraStep(this.keyspace.lookupKind(key, 'gcra')?.state, now, p);
      this.storeLimiter(key, { kind: 'gcra', state: step.state }, now, step.ttlMs, policy.peek);
      return step.result;
    }
    const step = slidingWindowStep(this.keyspace.lookupKind(key, 'sliding-window')?.state, now, p);
    this.storeLimiter(key, { kind: 'sliding-window', state: step.state }, now, step.ttlMs, policy.peek);
    return step.result;
  }

  async append(stream: string, fields: Record<string, string>, options: AppendOptions = {}): Promise<number> {
    this.guard();
    assertStreamFields(fields);
    if (options.maxLen !== undefined) assertPositiveInt('maxLen', options.maxLen);
    return this.streams.append(stream, fields, options.maxLen);
  }

  async read(stream: string, options: ReadOptions = {}): Promise<StreamEntry[]> {
    this.guard();
    const after = options.after ?? 0;
    assertNonNegativeInt('after', after);
    if (options.count !== undefined) assertPositiveInt('count', options.count);
    return this.streams.read(stream, after, options.count);
  }

  follow(stream: string, options: FollowOptions = {}): AsyncIterableIterator<StreamEntry> {
    this.guard();
    const after = options.after ?? 0;
    assertNonNegativeInt('after', after);
    return new StreamFollower(
      this.streams.source(stream, () => this.guard()),
      after,
      [options.signal, this.stopping.signal],
    );
  }

  async trim(stream: string, maxLen: number): Promise<number> {
    this.guard();
    assertPositiveInt('maxLen', maxLen);
    return this.streams.trim(stream, maxLen);
  }

  async publish(channel: string, message: string): Promise<void> {
    this.guard();
    this.pubsub.publish(channel, message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    this.guard();
    return this.pubsub.subscribe(channel, handler);
  }

  private storeLimiter(key: string, value: Parameters<Keyspace['put']>[1], now: number, ttlMs: number, peek = false): void {
    if (peek) return;
    if (ttlMs > 0) this.keyspace.put(key, value, now + ttlMs);
    else this.keyspace.delete(key);
  }

  private guard(): void {
    if (this.phase !== 'running') throw new KvNotRunningError(this.phase === 'new' ? 'not started' : 'stopped');
  }
}

/** Creates the embedded key-value / pub-sub / streams store (call `start()` before use). */
export function createEmbeddedKv(options: EmbeddedKvOptions = {}): KvStore {
  return new EmbeddedKv(options);
}
