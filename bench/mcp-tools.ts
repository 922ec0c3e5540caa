/**
 * Per-call overhead of an MCP tool (issue 17): the same `add` tool called three ways, in one
 * process, sequentially:
 *   direct  — the tool's function called in-process (what a built-in tool costs);
 *   bare    — the SDK's client `callTool` over Streamable HTTP to a real MCP server (the SDK's
 *             `McpServer`) on a local port: the protocol's own cost;
 *   source  — ai-gateway's MCP `ToolSource.call` to the same server (authorization, limits,
 *             cancellation wiring, result mapping on top of the protocol).
 * `CALLS` calls per way (default 2000) after `WARMUP` (default 200), in `ROUNDS` interleaved
 * rounds (default 5) so that a change of machine load affects every way alike. Printed: p50 and
 * p99 per call in µs, and the ratios source/direct and source/bare. The server shares the
 * process and the machine: read the ratios, not the absolute figures.
 *
 *   pnpm bench:mcp-tools
 *   CALLS=5000 ROUNDS=5 pnpm bench:mcp-tools
 */
import { performance } from 'node:perf_hooks';
import { createLogger } from '@chatgraph/kit';
import { createMcpToolSources } from '@chatgraph/ai-gateway';
import { connectBareClient, McpTestServer } from '../subgraphs/ai-gateway/test/mcpTestServer';

const CALLS = Number(process.env.CALLS ?? 2000);
const WARMUP = Number(process.env.WARMUP ?? 200);
const ROUNDS = Number(process.env.ROUNDS ?? 5);

/** The test server's `add`, as a plain function. */
function add({ a, b }: { a: number; b: number }): { content: Array<{ type: 'text'; text: string }> } {
  return { content: [{ type: 'text', text: String(a + b) }] };
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function timed(samples: number[], calls: number, op: (i: number) => unknown): Promise<void> {
  for (let i = 0; i < calls; i += 1) {
    const start = performance.now();
    await op(i);
    samples.push((performance.now() - start) * 1000);
  }
}

async function main(): Promise<void> {
  const server = new McpTestServer();
  const url = await server.start();
  const [source] = createMcpToolSources(
    { MCP_SERVERS: [{ name: 'bench', url }], MCP_TOOL_TIMEOUT_MS: 30_000, MCP_MAX_RESULT_BYTES: 65_536, MCP_TOOL_LIST_TTL_MS: 60_000 },
    createLogger({ name: 'bench', level: 'error' }),
    () => Promise.resolve('USER'),
  );
  if (!source) throw new Error('no MCP tool source');
  const bare = await connectBareClient(url);
  const ctx = { userId: 'u-bench', conversationId: 'c-bench', assistantId: null, signal: new AbortController().signal };
  const ways: Record<string, (i: number) => unknown> = {
    direct: (i) => add({ a: i, b: 1 }),
    bare: (i) => bare.call('add', { a: i, b: 1 }),
    source: async (i) => {
      const outcome = await source.call('mcp__bench__add', { a: i, b: 1 }, ctx);
      if (!outcome.ok) throw new Error(`${outcome.code}: ${outcome.summary}`);
    },
  };
  const samples: Record<string, number[]> = { direct: [], bare: [], source: [] };
  for (const op of Object.values(ways)) await timed([], WARMUP, op);
  const perRound = Math.ceil(CALLS / ROUNDS);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [name, op] of Object.entries(ways)) await timed(samples[name]!, perRound, op);
  }
  await bare.close();
  await source.close();
  await server.stop();

  const p = (name: string, q: number): number =>
    percentile(
      [...samples[name]!].sort((x, y) => x - y),
      q,
    );
  console.log(`MCP tool call, ${perRound * ROUNDS} calls per way (${ROUNDS} interleaved rounds), sequential, server in-process`);
  for (const name of Object.keys(ways)) {
    console.log(`${name.padEnd(8)} p50 ${p(name, 50).toFixed(1).padStart(9)} µs   p99 ${p(name, 99).toFixed(1).padStart(9)} µs`);
  }
  const ratio = (a: string, b: string, q: number): string => (p(a, q) / p(b, q)).toFixed(1);
  console.log(`source/direct  p50 x${ratio('source', 'direct', 50)}  p99 x${ratio('source', 'direct', 99)}`);
  console.log(`source/bare    p50 x${ratio('source', 'bare', 50)}  p99 x${ratio('source', 'bare', 99)}`);
  console.log(
    `load average: ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
