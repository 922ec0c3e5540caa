import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createRedisKv, type KvStore } from '../../src/kv';
import type { KvUnderTest } from './helpers';

/** The Redis the real tests use: `scripts/infra/redis.sh up` starts it on this port. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6390';

/** Fails with instructions (never skips) when Redis is not reachable. */
export async function assertRedisReachable(): Promise<void> {
  const kv = createRedisKv({ url: REDIS_URL, connectTimeoutMs: 2000 });
  try {
    await kv.start();
  } catch (error) {
    throw new Error(`${String(error)}: run \`bash scripts/infra/redis.sh up\` (REDIS_PORT) or set REDIS_URL`);
  } finally {
    await kv.stop();
  }
}

/** A store over a fresh key prefix, its peers sharing it, and a cleanup that deletes its keys. */
export async function makeRedisKv(): Promise<KvUnderTest> {
  const keyPrefix = `test:${randomUUID()}:`;
  const make = (): KvStore => createRedisKv({ url: REDIS_URL, keyPrefix });
  return {
    kv: make(),
    connectPeer: async () => {
      const peer = make();
      await peer.start();
      return peer;
    },
    cleanup: () => deleteKeys(`${keyPrefix}*`),
  };
}

async function deleteKeys(pattern: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * The port of the Redis that the restart test stops and starts: its own instance, so restarting
 * it never disturbs other real tests running at the same time against REDIS_URL.
 */
export const RESTART_REDIS_PORT = process.env.REDIS_RESTART_PORT ?? '6391';

/** Runs `scripts/infra/redis.sh up|down` for a port (the script is the only way Redis is run). */
export async function redisScript(command: 'up' | 'down', port: string): Promise<void> {
  const script = path.resolve(__dirname, '../../../../scripts/infra/redis.sh');
  await promisify(execFile)('bash', [script, command], { env: { ...process.env, REDIS_PORT: port }, timeout: 60_000 });
}
