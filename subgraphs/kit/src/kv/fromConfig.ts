import { oneOf, optional, str } from '../config';
import type { Logger } from '../logger';
import { createEmbeddedKv } from './embedded/embeddedKv';
import type { KvStore } from './port';
import { createRedisKv } from './redis/redisKv';

/**
 * Which key-value / pub-sub / streams adapter a service runs on, chosen by configuration: spread
 * into a service's config spec so every service documents the same variables.
 */
export const kvStoreConfigSpec = {
  KV_STORE: oneOf(['embedded', 'redis'] as const, {
    description:
      '`embedded`: in this process only, not persisted (one process: the embedded launcher shares one instance between services); `redis`: Redis at REDIS_URL',
    default: 'embedded',
  }),
  REDIS_URL: optional(
    str({ description: 'Redis URL for KV_STORE=redis, e.g. `redis://redis:6379` (use 127.0.0.1 rather than localhost)' }),
  ),
  REDIS_KEY_PREFIX: str({
    description: 'Prefix of every Redis key and channel, so deployments can share one Redis',
    default: 'chatgraph:',
  }),
};

export interface KvStoreConfig {
  KV_STORE: 'embedded' | 'redis';
  REDIS_URL: string | undefined;
  REDIS_KEY_PREFIX: string;
}

/** Creates (does not start) the configured key-value store. */
export function kvStoreFromConfig(config: KvStoreConfig, logger: Logger): KvStore {
  if (config.KV_STORE === 'redis') {
    if (!config.REDIS_URL) throw new Error('KV_STORE=redis needs REDIS_URL');
    return createRedisKv({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger });
  }
  return createEmbeddedKv({ logger });
}
