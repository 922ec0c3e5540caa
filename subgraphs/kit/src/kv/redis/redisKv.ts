import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { KvNotRunningError, KvUnavailableError } from '../errors';
import { stopSignal, StreamFollower, type FollowSource } from '../follow';
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
import { resolvePolicy } from '../rateLimit';
import { assertInt, assertNonNegativeInt, assertPositiveInt, assertStreamFields } from '../validate';
import { BlockingReader } from './blockingReader';
import { closeGracefully, createConnection, disconnect, mapRedisError, redactUrl, type ConnectionRole } from './connection';
import { RedisPubSub } from './redisPubSub';
import { parseEntries, parseInteger, parseRateLimit } from './replies';
import { APPEND_SCRIPT, INCR_SCRIPT, RATE_LIMIT_SCRIPT } from './scripts';

/** Options of the Redis adapter. */
export interface RedisKvOptions {
  /** `redis://[user:password@]host:port[/db]` (use 127.0.0.1 rather than localhost, which may resolve to ::1). */
  url: string;
  logger?: AdapterLogger;
  /** Prepended to every key and channel, so services can share one Redis (e.g. `chatgraph:`). Default none. */
  keyPrefix?: string;
  /** Longest wait for any non-blocking operation, including time queued while reconnecting (default 2000). */
  commandTimeoutMs?: number;
  /** Longest wait for one TCP connect + handshake (default 3000). */
  connectTimeoutMs?: number;
}

type Phase = 'new' | 'starting' | 'running' | 'stopped';
const FOLLOW_RETRY_MS = 250;

/**
 * The production adapter (ioredis). Three connections, so none stalls another: commands (also
 * used to publish), one blocking reader shared by every follower, and one subscriber shared by
 * every subscription. Each reconnects with backoff for as long as it takes.
 *
 * Streams use explicit ids `<seq>-0` assigned by a Lua script (see `scripts.ts`), so a seq IS the
 * Redis id: "after N" maps to XRANGE/XREAD from `N-0`, and two writers cannot interleave.
 * Durability is Redis's: run it with persistence (AOF, `appendfsync everysec`) if token streams
 * must survive a Redis restart; the test servers run without (`--save ''`).
 */
class RedisKv implements KvStore {
  private phase: Phase = 'new';
  private readonly url: string;
  private readonly prefix: string;
  private readonly connections: Record<ConnectionRole, Redis>;
  private readonly reader: BlockingReader;
  private readonly pubsub: RedisPubSub;
  /** Aborted by stop(); every follower listens to it, so it may have many listeners. */
  private readonly stopping = stopSignal();
  private starting: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;

  constructor(options: RedisKvOptions) {
    this.url = options.url;
    this.prefix = options.keyPrefix ?? '';
    const logger = options.logger ?? silentAdapterLogger;
    const settings = {
      url: options.url,
      logger,
      commandTimeoutMs: options.commandTimeoutMs ?? 2000,
      connectTimeoutMs: options.connectTimeoutMs ?? 3000,
    };
    this.connections = {
      commands: createConnection('commands', settings),
      blocking: createConnection('blocking', settings),
      subscriber: createConnection('subscriber', settings),
    };
    this.reader = new BlockingReader(this.connections.blocking, this.connections.commands, `${this.prefix}kv:wake:${randomUUID()}`, logger);
    this.pubsub = new RedisPubSub(this.connections.subscriber, logger, (error) => mapRedisError(error, this.url));
  }

  start(): Promise<void> {
    if (this.phase === 'stopped') return Promise.reject(new KvNotRunningError('stopped'));
    // Concurrent calls share one attempt; a failed attempt is forgotten so start() can be retried.
    this.starting ??= this.startOnce().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  private async startOnce(): Promise<void> {
    this.phase = 'starting';
    const connections = Object.values(this.connections);
    // connect() rejects with a bare "Connection is closed."; the socket's own error says why.
    let cause: Error | undefined;
    const capture = (error: Error): void => void (cause ??= error);
    connections.forEach((connection) => connection.on('error', capture));
    try {
      await Promise.all(connections.map((connection) => connection.connect()));
    } catch (error) {
      // Stop the background reconnects of whichever connections did open.
      connections.forEach(disconnect);
      if (!this.isStarting()) throw new KvNotRunningError('stopped'); // stop() closed them
      this.phase = 'new';
      throw mapRedisError(cause ?? error, this.url);
    } finally {
      connections.forEach((connection) => connection.off('error', capture));
    }
    // stop() while connecting wins: it already closed (or is closing) the connections.
    if (!this.isStarting()) throw new KvNotRunningError('stopped');
    this.reader.start();
    this.phase = 'running';
  }

  /** Read through a method: stop() may change the phase while start() awaits. */
  private isStarting(): boolean {
    return this.phase === 'starting';
  }

  stop(): Promise<void> {
    this.stopped ??= this.stopOnce();
    return this.stopped;
  }

  async ping(): Promise<void> {
    this.guard();
    for (const [role, connection] of Object.entries(this.connections)) {
      // Fails at once during an outage instead of waiting out the command timeout.
      if (connection.status !== 'ready')
        throw new KvUnavailableError(`redis at ${redactUrl(this.url)} is unavailable: ${role} connection is ${connection.status}`);
    }
    await this.run(undefined, (redis) => redis.ping());
  }

  async get(key: string): Promise<string | null> {
    return this.run(key, (redis) => redis.get(this.key(key)));
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    if (options.ttlMs !== undefined) assertPositiveInt('ttlMs', options.ttlMs);
    const args: Array<string | number> = options.ttlMs === undefined ? [] : ['PX', options.ttlMs];
    if (options.ifAbsent) args.push('NX');
    const reply = await this.run(key, (redis) => redis.call('SET', this.key(key), value, ...args));
    return reply === 'OK';
  }

  async del(key: string): Promise<boolean> {
    return (await this.run(key, (redis) => redis.del(this.key(key)))) > 0;
  }

  async incrBy(key: string, by: number, options: IncrOptions = {}): Promise<number> {
    assertInt('by', by);
    if (options.ttlMs !== undefined) assertPositiveInt('ttlMs', options.ttlMs);
    const reply = await this.run(key, (redis) => INCR_SCRIPT.run(redis, [this.key(key)], [by, options.ttlMs ?? 0]));
    return parseInteger(reply, 'counter');
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    assertPositiveInt('ttlMs', ttlMs);
    return (await this.run(key, (redis) => redis.pexpire(this.key(key), ttlMs))) === 1;
  }

  async rateLimit(key: string, policy: RateLimitPolicy): Promise<RateLimitResult> {
    const p = resolvePolicy(policy);
    const args = [p.algorithm, p.limit, p.windowMs, p.cost, '', policy.peek ? 1 : 0];
    return parseRateLimit(await this.run(key, (redis) => RATE_LIMIT_SCRIPT.run(redis, [this.key(key)], args)));
  }

  async append(stream: string, fields: Record<string, string>, options: AppendOptions = {}): Promise<number> {
    assertStreamFields(fields);
    if (options.maxLen !== undefined) assertPositiveInt('maxLen', options.maxLen);
    const args = [options.maxLen ?? 0, ...Object.entries(fields).flat()];
    return parseInteger(await this.run(stream, (redis) => APPEND_SCRIPT.run(redis, [this.key(stream)], args)), 'stream seq');
  }

  async read(stream: string, options: ReadOptions = {}): Promise<StreamEntry[]> {
    const after = options.after ?? 0;
    assertNonNegativeInt('after', after);
    if (options.count !== undefined) assertPositiveInt('count', options.count);
    const { count } = options;
    // Ids are `<seq>-0`, so "after seq N" is the inclusive range from `<N+1>-0`.
    const from = `${after + 1}-0`;
    const reply = await this.run(stream, (redis) =>
      count === undefined ? redis.xrange(this.key(stream), from, '+') : redis.xrange(this.key(stream), from, '+', 'COUNT', count),
    );
    return parseEntries(reply);
  }

  follow(stream: string, options: FollowOptions = {}): AsyncIterableIterator<StreamEntry> {
    this.guard();
    const after = options.after ?? 0;
    assertNonNegativeInt('after', after);
    const source: FollowSource = {
      read: (from, count, signal) => this.readThroughOutages(stream, from, count, signal),
      waitAfter: (from, signal) => this.reader.waitAfter(this.key(stream), from, signal),
    };
    return new StreamFollower(source, after, [options.signal, this.stopping.signal]);
  }

  async trim(stream: string, maxLen: number): Promise<number> {
    assertPositiveInt('maxLen', maxLen);
    return this.run(stream, (redis) => redis.xtrim(this.key(stream), 'MAXLEN', '=', maxLen));
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.run(undefined, (redis) => redis.publish(this.key(channel), message));
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    this.guard();
    return this.pubsub.subscribe(this.key(channel), channel, handler);
  }

  private async stopOnce(): Promise<void> {
    const wasRunning = this.phase === 'running';
    this.phase = 'stopped';
    this.stopping.abort();
    this.pubsub.clear();
    if (wasRunning) await this.reader.stop();
    await Promise.all([closeGracefully(this.connections.subscriber), closeGracefully(this.connections.commands)]);
    disconnect(this.connections.blocking);
  }

  /** A follower's read: an outage delays it (the follow resumes where it was) rather than ending it. */
  private async readThroughOutages(stream: string, after: number, count: number, signal: AbortSignal): Promise<StreamEntry[]> {
    for (;;) {
      try {
        return await this.read(stream, { after, count });
      } catch (error) {
        if (!(error instanceof KvUnavailableError) || signal.aborted) throw error;
        await new Promise((resolve) => setTimeout(resolve, FOLLOW_RETRY_MS));
      }
    }
  }

  private key(name: string): string {
    return this.prefix + name;
  }

  private async run<T>(key: string | undefined, operation: (redis: Redis) => Promise<T>): Promise<T> {
    this.guard();
    try {
      return await operation(this.connections.commands);
    } catch (error) {
      throw mapRedisError(error, this.url, key);
    }
  }

  private guard(): void {
    if (this.phase !== 'running') throw new KvNotRunningError(this.phase === 'stopped' ? 'stopped' : 'not started');
  }
}

/**
 * Creates the Redis adapter. Nothing connects until `start()`, which rejects with a
 * `KvUnavailableError` naming the (password-redacted) URL when Redis cannot be reached.
 */
export function createRedisKv(options: RedisKvOptions): KvStore {
  return new RedisKv(options);
}
