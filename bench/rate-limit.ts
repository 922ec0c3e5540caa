/**
 * What rate limiting costs the router (issue 12): the same authenticated `me` query through two
 * routers in one process, identical (same in-process subgraphs) except that one enforces the
 * default policies (GCRA in the kv) and the other none, measured in alternating rounds of the
 * same run. Policies are raised so nothing is refused (a refusal is cheaper than an answer and
 * would flatter the ratio). Prints requests/s with limits on and off and their ratio (target >=
 * 0.9), the added latency of the decision itself (a gate opened and decided in a loop), and the
 * kv calls (Redis round trips) per request. On a machine shared with other work the rounds vary
 * (two identical routers measured this way differ by up to ±30% per round under heavy load): the
 * per-round ratios (the two runs of a round are back to back) and their median are printed too.
 * `BENCH_KV=redis` puts the limits in Redis (REDIS_URL,
 * default redis://127.0.0.1:6390), as production does; the default is the embedded kv.
 *
 *   pnpm bench:rate-limit   # BENCH_SECONDS=5 BENCH_ROUNDS=3 BENCH_CONNECTIONS=10 BENCH_KV=embedded|redis
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { ANONYMOUS, createLogger, loadConfig, ServiceMetrics } from '@chatgraph/kit';
import { createRedisKv, type KvStore } from '@chatgraph/kit/kv';
import { DEFAULT_POLICIES, BanRegistry, PolicyDirectory } from '@chatgraph/kit/limits';
import {
  buildRouter,
  loadRouterConfig,
  routerDepsFromConfig,
  type InProcessSubgraph,
  type Router,
  RateLimitMetrics,
  RouterRateLimiter,
} from '@chatgraph/router';
import { EMBEDDED_CONFIG_SPEC, startEmbedded } from '@chatgraph/launcher';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const kvKind = process.env.BENCH_KV ?? 'embedded';
const QUERY = JSON.stringify({ query: 'query Me { me { id name } }', operationName: 'Me' });
const silent = (name: string) => createLogger({ name, level: 'silent' });

/** Every policy as it is, with a limit nothing in this run reaches. */
const GENEROUS = DEFAULT_POLICIES.map((p) => ({ ...p, limit: 1_000_000, windowMs: 3_600_000 }));

/**
 * Counts the kv calls a request makes to decide its limits (each one Redis round trip). A plain
 * delegating object built once: a Proxy that made a closure on every call was work the "on" run
 * did and the "off" run did not, charged to the limiter.
 */
function counting(kv: KvStore): { kv: KvStore; calls: () => number } {
  let calls = 0;
  const counted: KvStore = {
    get: (key) => (calls++, kv.get(key)),
    set: (key, value, options) => (calls++, kv.set(key, value, options)),
    incrBy: (key, by, options) => (calls++, kv.incrBy(key, by, options)),
    rateLimit: (key, policy) => (calls++, kv.rateLimit(key, policy)),
    del: (key) => kv.del(key),
    expire: (key, ttlMs) => kv.expire(key, ttlMs),
    append: (stream, fields, options) => kv.append(stream, fields, options),
    read: (stream, options) => kv.read(stream, options),
    follow: (stream, options) => kv.follow(stream, options),
    trim: (stream, maxLen) => kv.trim(stream, maxLen),
    publish: (channel, message) => kv.publish(channel, message),
    subscribe: (channel, handler) => kv.subscribe(channel, handler),
    start: () => kv.start(),
    stop: () => kv.stop(),
    ping: () => kv.ping(),
  };
  return { kv: counted, calls: () => calls };
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  /** CPU of this process (routers, subgraphs and load generator) per request, in µs: steadier than req/s on a shared machine. */
  cpuPerRequest: number;
}

async function load(url: string, token: string): Promise<Run> {
  const cpu = process.cpuUsage();
  const result = await autocannon({
    url,
    method: 'POST',
    body: QUERY,
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  });
  const used = process.cpuUsage(cpu);
  const total = result.requests.total;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total,
    non2xx: result.non2xx,
    cpuPerRequest: (used.user + used.system) / Math.max(1, total),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-bench-rl-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const stack = await startEmbedded(config, { LOG_LEVEL: 'warn', RATE_LIMITS: 'off' });
  let limitsKv: KvStore = stack.kv;
  let redis: KvStore | undefined;
  if (kvKind === 'redis') {
    redis = createRedisKv({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6390', keyPrefix: `bench:rl:${randomUUID()}:` });
    await redis.start();
    limitsKv = redis;
  }
  const counted = counting(limitsKv);
  const services = [stack.identity, stack.conversation, stack.aiGateway, stack.streaming, stack.rateLimit];
  const names = ['identity', 'conversation', 'ai-gateway', 'streaming', 'rate-limit'];
  const inProcessSubgraphs = new Map<string, InProcessSubgraph>(
    services.map(({ subgraph }) => [`${subgraph.url}/graphql`, (headers, body) => subgraph.serveInProcess(headers, body)]),
  );
  const routerConfig = loadRouterConfig({
    INTERNAL_SIGNING_SECRET: stack.signingSecret,
    LOG_LEVEL: 'warn',
    IDENTITY_URL: stack.identity.subgraph.url,
    SUBGRAPH_URLS: services.map(({ subgraph }, i) => `${names[i]}=${subgraph.url}/graphql`).join(','),
  });
  const deps = { ...routerDepsFromConfig(routerConfig, silent('router')), inProcessSubgraphs, principals: stack.kv };
  const off: Router = buildRouter(deps);
  const on: Router = buildRouter({ ...deps, rateLimit: { kv: counted.kv, defaults: GENEROUS } });
  const offUrl = `${await off.start()}/graphql`;
  const onUrl = `${await on.start()}/graphql`;

  const registered = await fetch(offUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($i: RegisterInput!) { register(input: $i) { accessToken } }',
      variables: { i: { email: 'bench@example.com', name: 'Bench', password: 'a perfectly fine passphrase' } },
    }),
  });
  const token = ((await registered.json()) as { data: { register: { accessToken: string } } }).data.register.accessToken;

  console.log(`rate-limit bench: ${rounds} rounds × ${seconds}s × 2, ${connections} connections, limits in the ${kvKind} kv`);
  await load(onUrl, token); // warm-up both (plans, JIT)
  await load(offUrl, token);
  const onRuns: number[] = [];
  const offRuns: number[] = [];
  const onCpu: number[] = [];
  const offCpu: number[] = [];
  let calls = 0;
  let requests = 0;
  let refused = 0;
  const measureOn = async (): Promise<Run> => {
    const before = counted.calls();
    const a = await load(onUrl, token);
    calls += counted.calls() - before;
    requests += a.total;
    refused += a.non2xx;
    return a;
  };
  for (let round = 0; round < rounds; round++) {
    // Alternating which goes first, so neither always runs on a warmer (or more collected) heap.
    let a: Run;
    let b: Run;
    if (round % 2 === 0) {
      a = await measureOn();
      b = await load(offUrl, token);
    } else {
      b = await load(offUrl, token);
      a = await measureOn();
    }
    onRuns.push(a.rps);
    offRuns.push(b.rps);
    onCpu.push(a.cpuPerRequest);
    offCpu.push(b.cpuPerRequest);
    console.log(
      `  round ${round + 1}: limits on ${a.rps.toFixed(0)} req/s (p50 ${a.p50} ms, p99 ${a.p99} ms, ${a.cpuPerRequest.toFixed(0)} CPU µs/req), off ${b.rps.toFixed(0)} req/s (p50 ${b.p50} ms, p99 ${b.p99} ms, ${b.cpuPerRequest.toFixed(0)} CPU µs/req)`,
    );
  }
  const ratio = median(onRuns) / median(offRuns);
  console.log(
    `throughput: on ${median(onRuns).toFixed(0)} req/s, off ${median(offRuns).toFixed(0)} req/s, ratio ${ratio.toFixed(3)} (target >= 0.9)${refused > 0 ? `, ${refused} non-2xx!` : ''}`,
  );
  // The two runs of a round are back to back, so their ratio is the least exposed to a machine
  // whose load changes between rounds (other processes): the median of those ratios, and each.
  const paired = onRuns.map((on, i) => on / (offRuns[i] ?? on));
  console.log(`throughput ratio per round: ${paired.map((r) => r.toFixed(3)).join(', ')}; median ${median(paired).toFixed(3)}`);
  console.log(
    `CPU per request (whole process): on ${median(onCpu).toFixed(0)} µs, off ${median(offCpu).toFixed(0)} µs, ratio off/on ${(median(offCpu) / median(onCpu)).toFixed(3)}`,
  );
  const pairedCpu = offCpu.map((off, i) => off / (onCpu[i] ?? off));
  console.log(`CPU ratio off/on per round: ${pairedCpu.map((r) => r.toFixed(3)).join(', ')}; median ${median(pairedCpu).toFixed(3)}`);
  console.log(
    `kv calls (Redis round trips) per request with limits on: ${(calls / Math.max(1, requests)).toFixed(2)} (issued together: one round-trip time)`,
  );

  // The decision alone: a gate opened and decided for `me`, one after another.
  const limiter = new RouterRateLimiter({
    kv: limitsKv,
    policies: new PolicyDirectory({ kv: limitsKv, logger: silent('p'), defaults: GENEROUS }),
    bans: new BanRegistry({ kv: limitsKv, logger: silent('b') }),
    metrics: new RateLimitMetrics(new ServiceMetrics('bench')),
    logger: silent('l'),
  });
  const principal = { kind: 'user', userId: 'bench-user', role: 'USER', via: 'jwt' } as const;
  const samples: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const start = process.hrtime.bigint();
    const gate = limiter.open(i % 2 ? principal : ANONYMOUS, '127.0.0.1', 60);
    await gate.operation([{ name: 'me' }], 'Me', 3);
    await gate.finish();
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  samples.sort((a, b) => a - b);
  const pct = (p: number) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]?.toFixed(0);
  console.log(`decision latency (open + operation + finish, sequential): p50 ${pct(50)} µs, p99 ${pct(99)} µs`);

  await on.stop();
  await off.stop();
  await stack.stop();
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
