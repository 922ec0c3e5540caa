import { Redis, type RedisOptions } from 'ioredis';
import { KvUnavailableError, KvWrongTypeError } from '../errors';
import type { AdapterLogger } from '../../adapterLogger';

/** The three jobs that each get their own connection, so none can stall the others. */
export type ConnectionRole = 'commands' | 'blocking' | 'subscriber';

/** Connection settings every role shares. */
export interface ConnectionSettings {
  url: string;
  logger: AdapterLogger;
  /** Bound on any non-blocking command, queued time included. */
  commandTimeoutMs: number;
  connectTimeoutMs: number;
}

/**
 * Reconnect with exponential backoff (50 ms doubling, capped at 2 s) and some jitter, forever:
 * a Redis that comes back is picked up again without a restart, and many instances do not all
 * knock at the same millisecond.
 */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt - 1, 6), 2000) + Math.floor(Math.random() * 50);
}

/**
 * Opens nothing yet (`lazyConnect`): `connect()` is called by the store's `start()`.
 * - commands/subscriber: queued while reconnecting, but `commandTimeout` bounds the wait so a
 *   caller gets `KvUnavailableError` within that time instead of hanging through an outage;
 * - blocking: no timeout and no retry limit, since an XREAD BLOCK legitimately waits, and its loop
 *   should simply resume once the connection is back (an unanswered XREAD is re-sent on reconnect).
 */
export function createConnection(role: ConnectionRole, settings: ConnectionSettings): Redis {
  const blocking = role === 'blocking';
  const options: RedisOptions = {
    lazyConnect: true,
    connectionName: `chatgraph-kv-${role}`,
    connectTimeout: settings.connectTimeoutMs,
    retryStrategy: reconnectDelay,
    enableOfflineQueue: true,
    maxRetriesPerRequest: blocking ? null : 1,
    ...(blocking ? {} : { commandTimeout: settings.commandTimeoutMs }),
    autoResubscribe: role === 'subscriber',
    // After disconnect(), how long a socket may linger half-closed before it is destroyed; the
    // default 2 s would hold a stopping process (and jest) open for nothing.
    disconnectTimeout: 200,
  };
  const redis = new Redis(settings.url, options);
  watchHealth(redis, role, settings);
  return redis;
}

/** Logs a lost connection once (not once per retry) and its recovery; also keeps ioredis from printing unhandled errors. */
function watchHealth(redis: Redis, role: ConnectionRole, settings: ConnectionSettings): void {
  let down = false;
  const where = redactUrl(settings.url);
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    settings.logger.warn({ role, redis: where, err: error.message }, 'redis connection lost; reconnecting');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    settings.logger.info({ role, redis: where }, 'redis connection restored');
  });
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable redis url)';
  }
}

/**
 * Maps a driver failure to the port's errors: Redis's own type errors become `KvWrongTypeError`,
 * other replies from a reachable server are bugs and pass through unchanged, and everything else
 * (refused, closed, timed out, retries exhausted) becomes `KvUnavailableError`.
 */
export function mapRedisError(error: unknown, url: string, key?: string): Error {
  if (error instanceof KvUnavailableError || error instanceof KvWrongTypeError) return error;
  if (error instanceof Error && error.name === 'ReplyError') {
    const wrongType = /WRONGTYPE|not an integer/.test(error.message);
    return wrongType && key !== undefined ? new KvWrongTypeError(key, { cause: error }) : error;
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new KvUnavailableError(`redis at ${redactUrl(url)} is unavailable: ${detail}`, { cause: error });
}

/** Closes a connection now, unless it already ended (a second disconnect would arm a useless timer). */
export function disconnect(redis: Redis): void {
  if (redis.status !== 'end') redis.disconnect();
}

/** QUIT lets replies in flight arrive; if the server is unreachable there is nothing to wait for. */
export async function closeGracefully(connection: Redis): Promise<void> {
  if (connection.status === 'ready') {
    const quit = connection.quit().catch(() => undefined);
    await Promise.race([quit, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }
  disconnect(connection);
}
