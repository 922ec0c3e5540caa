/**
 * Key-value port: stream append -> follower latency, append throughput and rate-limit throughput,
 * embedded vs Redis, same process, same run. Redis from REDIS_URL (default redis://127.0.0.1:6390,
 * start it with `bash scripts/infra/redis.sh up`); without it only the embedded figures print.
 *
 *   pnpm tsx bench/kv.ts
 */
import { randomUUID } from 'node:crypto';
import { createEmbeddedKv, createRedisKv, type KvStore } from '@chatgraph/kit/kv';

const CHUNKS = 2000;
const LIMIT_CALLS = 5000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Ping-pong: append one chunk, wait until the follower has it, repeat (what a token stream does). */
async function followLatency(kv: KvStore): Promise<string> {
  const stream = `bench:${randomUUID()}`;
  const follower = kv.follow(stream);
  const latencies: number[] = [];
  for (let i = 0; i < CHUNKS; i++) {
    const start = process.hrtime.bigint();
    const next = follower.next();
    await kv.append(stream, { delta: `token ${i}` }, { maxLen: 1000 });
    await next;
    latencies.push(Number(process.hrtime.bigint() - start) / 1e3);
  }
  await follower.return?.();
  await kv.del(stream);
  latencies.sort((a, b) => a - b);
  return `append -> follower   p50 ${percentile(latencies, 50).toFixed(0)} µs   p99 ${percentile(latencies, 99).toFixed(0)} µs`;
}

async function opsPerSecond(label: string, total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<string> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await op(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return `${label.padEnd(36)} ${(total / seconds).toFixed(0).padStart(8)} ops/s`;
}

async function bench(name: string, kv: KvStore): Promise<void> {
  await kv.start();
  const stream = `bench:${randomUUID()}`;
  const policy = { limit: 1_000_000, windowMs: 60_000 };
  const lines = [
    await followLatency(kv),
    await opsPerSecond('append (sequential)', CHUNKS, 1, (i) => kv.append(stream, { delta: `t${i}` }, { maxLen: 1000 })),
    await opsPerSecond('rateLimit sliding (sequential)', LIMIT_CALLS, 1, () => kv.rateLimit('bench:sw', policy)),
    await opsPerSecond('rateLimit sliding (64 in flight)', LIMIT_CALLS, 64, () => kv.rateLimit('bench:sw', policy)),
    await opsPerSecond('rateLimit token bucket (64 in flight)', LIMIT_CALLS, 64, () =>
      kv.rateLimit('bench:tb', { ...policy, algorithm: 'token-bucket' }),
    ),
  ];
  await Promise.all([kv.del(stream), kv.del('bench:sw'), kv.del('bench:tb')]);
  await kv.stop();
  console.log(`\n${name}`);
  for (const line of lines) console.log(`  ${line}`);
}

async function main(): Promise<void> {
  console.log(`kv bench, Node ${process.version}, ${CHUNKS} chunks, ${LIMIT_CALLS} limiter calls`);
  await bench('embedded', createEmbeddedKv());
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6390';
  try {
    await bench(`redis (${url})`, createRedisKv({ url, keyPrefix: `bench:${randomUUID()}:` }));
  } catch (error) {
    console.log(`\nredis (${url}): not measured: ${String(error)}`);
  }
}

void main();
