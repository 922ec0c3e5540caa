/**
 * Router overhead: the same authenticated `me` query through the router (JWT verified, principal
 * signed, query planned, subgraph fetched) vs straight to the identity subgraph (signed as the
 * router would), in the same run against the same processes. Prints requests/s, p50 and p99 for
 * both and the router/direct throughput ratio (target >= 0.70), for the two run modes:
 * distributed (router and identity in their own processes, as deployed) and embedded (one
 * process, so router work and subgraph work share one core).
 *
 *   pnpm bench:router   # BENCH_SECONDS=10 BENCH_ROUNDS=5 BENCH_CONNECTIONS=10 BENCH_MODES=distributed,embedded
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { signRequest, type Principal } from '@chatgraph/kit';
import { graphql, spawnDistributed, spawnEmbedded, type BenchStack } from './support/spawnStack';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const QUERY = JSON.stringify({ query: 'query Me { me { id name email role } }', operationName: 'Me' });

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** CPU microseconds spent per request, by process role (the load generator included). */
  cpuPerRequest: Record<string, number>;
}

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in microseconds; undefined off Linux. */
function cpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function cpuSnapshot(pids: Record<string, number>): Record<string, number | undefined> {
  const usage = process.cpuUsage();
  const snapshot: Record<string, number | undefined> = { 'load generator': usage.user + usage.system };
  for (const [role, pid] of Object.entries(pids)) snapshot[role] = cpuMicros(pid);
  return snapshot;
}

/** The run with the median throughput (its latencies come with it). */
function median(runs: Figures[]): Figures {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (!middle) throw new Error('no runs');
  return middle;
}

async function load(url: string, headers: () => Record<string, string>, duration: number, pids: Record<string, number>): Promise<Figures> {
  const before = cpuSnapshot(pids);
  // Headers made per request: a subgraph accepts each signed request once (single-use nonces).
  const setupRequest = (req: autocannon.Request): autocannon.Request => ({
    ...req,
    headers: { 'content-type': 'application/json', ...headers() },
  });
  const result = await autocannon({ url, method: 'POST', body: QUERY, connections, duration, requests: [{ setupRequest }] });
  const after = cpuSnapshot(pids);
  const cpuPerRequest: Record<string, number> = {};
  for (const [role, end] of Object.entries(after)) {
    const start = before[role];
    if (end !== undefined && start !== undefined && result.requests.total > 0) cpuPerRequest[role] = (end - start) / result.requests.total;
  }
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    cpuPerRequest,
  };
}

function cpuRow(f: Figures): string {
  const parts = Object.entries(f.cpuPerRequest).map(([role, micros]) => `${role} ${micros.toFixed(0)}`);
  return parts.length > 0 ? `      CPU µs/request: ${parts.join(', ')}` : '';
}

async function measure(mode: string, stack: BenchStack): Promise<boolean> {
  {
    const email = `bench-${Date.now()}@example.com`;
    const password = 'benchmark password 1';
    await graphql(stack.url, 'mutation($i: RegisterInput!) { register(input: $i) { user { id } } }', {
      i: { email, password, name: 'Bench' },
    });
    const { login } = await graphql<{ login: { accessToken: string; user: { id: string; role: 'USER' | 'ADMIN' } } }>(
      stack.url,
      'mutation($i: LoginInput!) { login(input: $i) { accessToken user { id role } } }',
      { i: { email, password } },
    );
    const claims = JSON.parse(Buffer.from(login.accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sid: string };
    const principal: Principal = { kind: 'user', userId: login.user.id, role: login.user.role, via: 'jwt', sessionId: claims.sid };
    const routerHeaders = () => ({ authorization: `Bearer ${login.accessToken}` });
    const direct = `${stack.identityUrl}/graphql`;
    // Signed per request, as the router does: a subgraph accepts a signed request once, within ±5 s.
    const directHeaders = () => signRequest(stack.secret, principal, QUERY);

    // Warm both paths (JIT, connection pools, JWKS cache) before measuring.
    await load(stack.url, routerHeaders, 2, stack.pids);
    await load(direct, directHeaders, 2, stack.pids);
    // Alternating rounds, medians reported: on a small shared machine one run of each side can
    // land in a noisy moment; alternating spreads that noise over both sides.
    const routerRuns: Figures[] = [];
    const directRuns: Figures[] = [];
    for (let round = 0; round < rounds; round++) {
      routerRuns.push(await load(stack.url, routerHeaders, seconds, stack.pids));
      directRuns.push(await load(direct, directHeaders, seconds, stack.pids));
    }
    const viaRouter = median(routerRuns);
    const straight = median(directRuns);
    const ratios = routerRuns.map((r, i) => (r.rps / (directRuns[i]?.rps ?? Number.NaN)).toFixed(2));

    const row = (name: string, f: Figures) =>
      `${name.padEnd(22)} ${f.rps.toFixed(0).padStart(8)} req/s   p50 ${String(f.p50).padStart(4)} ms   p99 ${String(f.p99).padStart(4)} ms   errors ${f.errors + f.non2xx}`;
    console.log(
      `\nrouter overhead, ${mode}: authenticated \`me\`, ${connections} connections, ${rounds} alternating rounds of ${seconds} s per side (medians), Node ${process.version}`,
    );
    console.log(row('through the router', viaRouter));
    console.log(cpuRow(viaRouter));
    console.log(row('straight to identity', straight));
    console.log(cpuRow(straight));
    console.log(
      `ratio router/direct throughput: ${(viaRouter.rps / straight.rps).toFixed(2)} (target >= 0.70); per round: ${ratios.join(' ')}`,
    );
    return [...routerRuns, ...directRuns].every((f) => f.errors + f.non2xx === 0);
  }
}

async function main(): Promise<void> {
  const modes = (process.env.BENCH_MODES ?? 'distributed,embedded').split(',');
  for (const mode of modes) {
    const stack = mode === 'embedded' ? await spawnEmbedded() : await spawnDistributed();
    try {
      if (!(await measure(mode, stack))) process.exitCode = 1;
    } finally {
      await stack.stop();
    }
  }
}

void main();
