/** The key-value / pub-sub / streams port, its errors, and its embedded and Redis adapters. */
export * from './port';
export * from './errors';
export { createEmbeddedKv, type EmbeddedKvOptions } from './embedded/embeddedKv';
export { createRedisKv, type RedisKvOptions } from './redis/redisKv';
/** The adapter a service runs on, chosen by configuration (KV_STORE, REDIS_URL...). */
export * from './fromConfig';
