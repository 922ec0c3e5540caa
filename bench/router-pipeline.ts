/**
 * The router's own CPU per operation, with no network and no other process: the pipeline
 * (document cache, checks, cost), the gateway's executor (plan cache, fetches, result shaping)
 * and the data source (serialize, sign, parse the reply), against in-process subgraphs that
 * answer canned JSON at once. The committed supergraph is served. What bench/router-overhead.ts
 * measures through sockets and shared cores, this measures alone: it is the figure to compare
 * when changing the router's hot path (run it before and after, on the same machine).
 *
 *   pnpm bench:router-pipeline   # BENCH_SECONDS=5 per operation; BENCH_ONLY=<name prefix> runs one (for profiling)
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createLogger, type Principal } from '@chatgraph/kit';
import {
  DEFAULT_LIMITS,
  RequestContext,
  RouterGateway,
  type GraphQLRequest,
  PersistedQueries,
  Pipeline,
  SubgraphTransport,
  type InProcessSubgraph,
} from '@chatgraph/router';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const USER: Principal = { kind: 'user', userId: 'u_bench', role: 'USER', via: 'jwt', sessionId: 's_bench' };
const ME = { id: 'u_bench', name: 'Bench', email: 'bench@example.com', role: 'USER' };

/** Canned subgraph answers, chosen by what the gateway asks for. */
function reply(data: unknown): ReturnType<InProcessSubgraph> {
  return Promise.resolve({ status: 200, body: JSON.stringify({ data }) });
}

const identity: InProcessSubgraph = () => reply({ me: { ...ME, __typename: 'User' } });
const conversation: InProcessSubgraph = () => {
  const edges = Array.from({ length: 20 }, (_, i) => ({ node: { id: `c_${i}`, title: `Conversation ${i}` } }));
  return reply({ _entities: [{ conversations: { edges } }] });
};

const ALL_OPERATIONS: Array<{ name: string; request: GraphQLRequest }> = [
  {
    name: 'me (one fetch)',
    request: { query: 'query Me { me { id name email role } }', operationName: 'Me', variables: undefined, extensions: undefined },
  },
  {
    name: 'me + 20 conversations (two fetches, _entities)',
    request: {
      query: 'query MyConversations($first: Int) { me { id name conversations(first: $first) { edges { node { id title } } } } }',
      operationName: 'MyConversations',
      variables: { first: 20 },
      extensions: undefined,
    },
  },
];

const OPERATIONS = ALL_OPERATIONS.filter((o) => !process.env.BENCH_ONLY || o.name.startsWith(process.env.BENCH_ONLY));

async function main(): Promise<void> {
  const logger = createLogger({ name: 'bench', level: 'silent' });
  const transport = new SubgraphTransport(
    30_000,
    new Map([
      ['http://identity:4001/graphql', identity],
      ['http://conversation:4002/graphql', conversation],
    ]),
  );
  const gateway = new RouterGateway({
    supergraph: { kind: 'file', path: path.join(__dirname, '..', 'schema', 'supergraph.graphql'), pollMs: 60_000 },
    signingSecret: 'bench-secret-0123456789abcdef0123456789',
    logger,
    limits: DEFAULT_LIMITS,
    introspection: false,
    transport,
  });
  await gateway.load();
  const pipeline = new Pipeline({ gateway, persistedQueries: new PersistedQueries(), maxCost: DEFAULT_LIMITS.maxCost });

  console.log(`\nrouter pipeline alone (no network, canned subgraphs), ${seconds} s per operation, Node ${process.version}`);
  for (const { name, request } of OPERATIONS) {
    const run = () => pipeline.run(request, 'POST', new RequestContext(USER, randomUUID(), logger));
    const first = await run();
    if (first.status !== 200 || first.body.errors) throw new Error(`${name} failed: ${JSON.stringify(first.body)}`);
    // Warm-up (JIT, caches), then as many sequential runs as fit in the time.
    for (let i = 0; i < 2000; i++) await run();
    let count = 0;
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    const until = started + BigInt(seconds * 1e9);
    while (process.hrtime.bigint() < until) {
      for (let i = 0; i < 100; i++) await run();
      count += 100;
    }
    const wallMicros = Number(process.hrtime.bigint() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    console.log(
      `${name.padEnd(48)} ${(wallMicros / count).toFixed(1).padStart(6)} µs/op wall   ${((cpu.user + cpu.system) / count).toFixed(1).padStart(6)} µs/op CPU   ${Math.round((count * 1e6) / wallMicros)} ops/s`,
    );
  }
  transport.close();
  await gateway.stop();
}

void main();
