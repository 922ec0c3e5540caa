/**
 * Live chat figures, through the router as a client sees them (sendMessage over HTTP, then
 * `messageStream` over graphql-ws), with a local OpenAI-compatible model server
 * (support/pacedProvider.ts) driven by the real `openai` SDK inside ai-gateway:
 *
 * 1. Time to first token added by the platform: per turn, the provider's own time to first token
 *    (request received -> first chunk written) vs the client's (sendMessage sent -> first token
 *    received), in the same run; p50/p99 of both and of the difference.
 * 2. Stop: stopGeneration sent -> the ABORTED done chunk received (target: the provider call is
 *    aborted within 100 ms, on whichever instance runs it).
 * 3. Chunk delivery: one stream's chunks/s with the provider sending back to back; then N
 *    concurrent streams at 20 chunks/s each: per-chunk latency (provider write -> client receipt),
 *    loss (every chunk must arrive, in order), and the largest N whose p99 stays under 100 ms.
 * 4. Router memory per idle subscription: a router in its own process, 1,000 client connections
 *    each holding one subscription to a stream that sends nothing.
 *
 * Modes: `embedded` (in-process bus and key-value store) and `kafka-redis` (ai-gateway, conversation
 * and streaming on Kafka and Redis; documents stay embedded), when KAFKA_BROKERS and REDIS_URL are set.
 *
 *   pnpm bench:live-chat
 *   BENCH_MODES=embedded,kafka-redis KAFKA_BROKERS=127.0.0.1:9092 REDIS_URL=redis://127.0.0.1:6390 \
 *   TTFT_TURNS=100 STREAM_LEVELS=10,25,50,100,200 IDLE_SUBSCRIPTIONS=1000 pnpm bench:live-chat
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createLogger, loadConfig } from '@chatgraph/kit';
import { createKafkaEventBus, type EventBus } from '@chatgraph/kit/events';
import { createRedisKv, type KvStore } from '@chatgraph/kit/kv';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { nowMs, stampsOf, startPacedProvider, type PacedProvider } from './support/pacedProvider';

const MODES = (process.env.BENCH_MODES ?? 'embedded').split(',').map((m) => m.trim());
const TTFT_TURNS = Number(process.env.TTFT_TURNS ?? 60);
const BURST_CHUNKS = Number(process.env.BURST_CHUNKS ?? 3000);
const LEVELS = (process.env.STREAM_LEVELS ?? '10,25,50,100,150').split(',').map(Number);
const IDLE = Number(process.env.IDLE_SUBSCRIPTIONS ?? 1000);
const TURN_PAUSE_MS = Number(process.env.TURN_PAUSE_MS ?? 250);
const STOP_TURNS = Number(process.env.STOP_TURNS ?? 20);
const PACED = 'paced-50x60';
const FIRST_TOKEN = 'paced-20x20';
const BURST = `paced-0x${BURST_CHUNKS}`;
const IDLE_MODEL = 'idle';
const root = path.join(__dirname, '..');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const ms = (v: number): string => `${v.toFixed(1)} ms`;

interface Chunk {
  seq: number;
  delta: string;
  done: boolean;
  status: string | null;
}

async function gql<T>(url: string, token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (!body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function register(url: string, name: string): Promise<string> {
  const data = await gql<{ register: { accessToken: string } }>(
    url,
    undefined,
    'mutation($i: RegisterInput!) { register(input: $i) { accessToken } }',
    {
      i: { email: `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`, password: 'benchmark password 1', name },
    },
  );
  return data.register.accessToken;
}

async function send(url: string, token: string, model: string): Promise<string> {
  const data = await gql<{ sendMessage: { streamId: string } }>(
    url,
    token,
    'mutation($i: SendMessageInput!) { sendMessage(input: $i) { streamId } }',
    { i: { content: 'benchmark question', model } },
  );
  return data.sendMessage.streamId;
}

function client(url: string, token: string): Client {
  return createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
  });
}

const STREAM = 'subscription($s: ID!) { messageStream(streamId: $s) { seq delta done status } }';

/** Follows one stream to its end, calling `onChunk` with each chunk and its arrival time. */
function follow(c: Client, streamId: string, onChunk: (chunk: Chunk, at: number) => void = () => undefined): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  return new Promise((resolve, reject) => {
    c.subscribe<{ messageStream: Chunk }>(
      { query: STREAM, variables: { s: streamId } },
      {
        next: (r) => {
          const at = nowMs();
          if (!r.data) return reject(new Error(JSON.stringify(r.errors)));
          chunks.push(r.data.messageStream);
          onChunk(r.data.messageStream, at);
        },
        error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
        complete: () => resolve(chunks),
      },
    );
  });
}

function contiguous(chunks: Chunk[]): boolean {
  return chunks.every((c, i) => c.seq === i + 1) && chunks.at(-1)?.done === true;
}

async function timeToFirstToken(stack: EmbeddedStack, provider: PacedProvider, token: string): Promise<void> {
  const ws = client(stack.url, token);
  const clientTimes: number[] = [];
  const added: number[] = [];
  const sendTimes: number[] = [];
  const startChunkTimes: number[] = [];
  const pickups: number[] = [];
  const deliveries: number[] = [];
  // Warm up: JIT, connections, the consumer.
  for (let i = 0; i < 5; i++) await follow(ws, await send(stack.url, token, FIRST_TOKEN));
  const providerStart = provider.firstTokenTimes.length;
  for (let turn = 0; turn < TTFT_TURNS; turn++) {
    // A user reads the answer before sending the next message: the previous turn's follow-up work
    // (outcome events, completion, title) is done when the next one starts.
    await sleep(TURN_PAUSE_MS);
    const started = nowMs();
    const streamId = await send(stack.url, token, FIRST_TOKEN);
    const sent = nowMs();
    sendTimes.push(sent - started);
    let first: number | undefined;
    const chunks = await follow(ws, streamId, (chunk, at) => {
      if (chunk.seq === 1) startChunkTimes.push(at - sent);
      if (first === undefined && chunk.delta.length > 0) {
        first = at;
        deliveries.push(at - (stampsOf(chunk.delta)[0] ?? Number.NaN));
      }
    });
    const arrival = provider.arrivals.at(-1);
    if (arrival !== undefined) pickups.push(arrival - sent);
    if (!contiguous(chunks) || first === undefined) throw new Error(`turn ${turn}: stream incomplete: ${JSON.stringify(chunks.slice(-2))}`);
    clientTimes.push(first - started);
  }
  const providerTimes = provider.firstTokenTimes.slice(providerStart, providerStart + TTFT_TURNS);
  for (let i = 0; i < clientTimes.length; i++) added.push((clientTimes[i] ?? 0) - (providerTimes[i] ?? 0));
  await ws.dispose();
  console.log(
    `  time to first token, ${TTFT_TURNS} sequential turns ${TURN_PAUSE_MS} ms apart (provider: first token after 20 ms, then one every 20 ms):`,
  );
  console.log(`    provider's own        p50 ${ms(pct(providerTimes, 50))}   p99 ${ms(pct(providerTimes, 99))}`);
  console.log(`    client (sendMessage -> first token via router)   p50 ${ms(pct(clientTimes, 50))}   p99 ${ms(pct(clientTimes, 99))}`);
  console.log(`    added by the platform p50 ${ms(pct(added, 50))}   p99 ${ms(pct(added, 99))}`);
  console.log(
    `    where it goes (p50): sendMessage round trip ${ms(pct(sendTimes, 50))}; answered -> provider request ${ms(pct(pickups, 50))} (outbox, bus, ai-gateway); ` +
      `first token written -> received ${ms(pct(deliveries, 50))} (stream store, streaming, router); answered -> start chunk ${ms(pct(startChunkTimes, 50))}`,
  );
}

/** stopGeneration sent -> the ABORTED done chunk received, for streams stopped mid-answer. */
async function stopLatency(stack: EmbeddedStack, token: string): Promise<void> {
  const ws = client(stack.url, token);
  const times: number[] = [];
  for (let i = 0; i < STOP_TURNS; i++) {
    const streamId = await send(stack.url, token, PACED);
    let stopped: number | undefined;
    let ended: number | undefined;
    let requested: Promise<unknown> | undefined;
    const chunks = await follow(ws, streamId, (chunk, at) => {
      if (chunk.seq === 3 && requested === undefined) {
        stopped = nowMs();
        requested = gql(stack.url, token, 'mutation($s: ID!) { stopGeneration(streamId: $s) }', { s: streamId });
      }
      if (chunk.done) ended = at;
    });
    await requested;
    if (chunks.at(-1)?.status !== 'ABORTED' || stopped === undefined || ended === undefined)
      throw new Error(`stop ${i}: the stream was not aborted`);
    times.push(ended - stopped);
  }
  await ws.dispose();
  console.log(
    `  stopGeneration -> ABORTED done chunk at the client, ${STOP_TURNS} streams: p50 ${ms(pct(times, 50))}  p99 ${ms(pct(times, 99))}  max ${ms(Math.max(...times))}`,
  );
}

async function burst(stack: EmbeddedStack, token: string): Promise<void> {
  const ws = client(stack.url, token);
  await follow(ws, await send(stack.url, token, 'paced-0x200'));
  const streamId = await send(stack.url, token, BURST);
  let first = 0;
  let last = 0;
  let stamps = 0;
  const chunks = await follow(ws, streamId, (chunk, at) => {
    if (chunk.delta.length === 0) return;
    if (first === 0) first = at;
    last = at;
    stamps += stampsOf(chunk.delta).length;
  });
  await ws.dispose();
  if (!contiguous(chunks) || stamps !== BURST_CHUNKS) throw new Error(`burst lost chunks: ${stamps}/${BURST_CHUNKS}`);
  const seconds = (last - first) / 1000;
  console.log(
    `  one stream, provider sending ${BURST_CHUNKS} chunks back to back: ${(BURST_CHUNKS / seconds).toFixed(0)} provider chunks/s delivered ` +
      `(${chunks.length - 2} stream chunks after coalescing, ${((chunks.length - 2) / seconds).toFixed(0)} stream chunks/s), none lost`,
  );
}

async function concurrent(stack: EmbeddedStack, token: string): Promise<void> {
  console.log(`  N concurrent streams at 20 chunks/s (60 chunks each); latency = provider write -> client receipt:`);
  let best = 0;
  for (const n of LEVELS) {
    // Ten streams per connection, as ten browser tabs' worth of answers would be spread.
    const sockets = Array.from({ length: Math.ceil(n / 10) }, () => client(stack.url, token));
    const latencies: number[] = [];
    const streamIds = await Promise.all(Array.from({ length: n }, () => send(stack.url, token, PACED)));
    const results = await Promise.all(
      streamIds.map((id, i) =>
        follow(sockets[Math.floor(i / 10)] as Client, id, (chunk, at) => {
          for (const stamp of stampsOf(chunk.delta)) latencies.push(at - stamp);
        }),
      ),
    );
    await Promise.all(sockets.map((socket) => socket.dispose()));
    const complete = results.filter((chunks) => contiguous(chunks) && chunks.at(-1)?.status === 'COMPLETE').length;
    const lost = n * 60 - latencies.length;
    const p99 = pct(latencies, 99);
    console.log(
      `    N=${String(n).padStart(4)}  chunks ${latencies.length}/${n * 60}  complete streams ${complete}/${n}  p50 ${ms(pct(latencies, 50))}  p99 ${ms(p99)}  max ${ms(Math.max(...latencies))}`,
    );
    if (lost === 0 && complete === n && p99 < 100) best = n;
    else break;
    await sleep(500);
  }
  console.log(`    largest N with zero loss and p99 < 100 ms: ${best}${best === LEVELS.at(-1) ? ' (the largest level tried)' : ''}`);
}

function spawnRouter(stack: EmbeddedStack, port: number): ChildProcess {
  const urls = {
    identity: stack.identity.url,
    conversation: stack.conversation.url,
    'ai-gateway': stack.aiGateway.url,
    streaming: stack.streaming.url,
  };
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, 'router/src/main.ts')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      INTERNAL_SIGNING_SECRET: stack.signingSecret,
      ROUTER_PORT: String(port),
      IDENTITY_URL: stack.identity.url,
      SUBGRAPH_URLS: Object.entries(urls)
        .map(([name, url]) => `${name}=${url}/graphql`)
        .join(','),
      // The idle-memory figure opens IDLE sockets and subscriptions from one user and address: lift the caps above it.
      SUBSCRIPTION_SOCKETS_PER_USER: String(IDLE + 10),
      SUBSCRIPTION_SOCKETS_PER_IP: String(IDLE + 10),
      SUBSCRIPTIONS_PER_USER: String(IDLE + 10),
      SUBSCRIPTIONS_PER_IP: String(IDLE + 10),
    },
  });
}

async function memoryOf(base: string): Promise<{ rss: number; heap: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const metric = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rss: metric('process_resident_memory_bytes'), heap: metric('nodejs_heap_size_used_bytes') };
}

/** A port free right now (the OS picks it), for a child process to listen on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function idleMemory(stack: EmbeddedStack, token: string): Promise<void> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const router = spawnRouter(stack, port);
  try {
    for (let i = 0; i < 200; i++) {
      try {
        if ((await fetch(`${base}/readyz`)).ok) break;
      } catch {
        // not up yet
      }
      await sleep(100);
    }
    const url = `${base}/graphql`;
    const streams = await Promise.all(Array.from({ length: 10 }, () => send(url, token, IDLE_MODEL)));
    // Warm the router's paths with one subscription before the baseline.
    const warm = client(url, token);
    await new Promise<void>((resolve, reject) =>
      warm.subscribe({ query: STREAM, variables: { s: streams[0] } }, { next: () => resolve(), error: reject, complete: () => resolve() }),
    );
    await sleep(2000);
    const before = await memoryOf(base);
    const clients: Client[] = [];
    const ready: Array<Promise<void>> = [];
    for (let i = 0; i < IDLE; i++) {
      const c = client(url, token);
      clients.push(c);
      ready.push(
        new Promise<void>((resolve, reject) =>
          c.subscribe(
            { query: STREAM, variables: { s: streams[i % streams.length] } },
            { next: () => resolve(), error: reject, complete: () => resolve() },
          ),
        ),
      );
      if (i % 100 === 99) await Promise.all(ready.slice(i - 99));
    }
    await Promise.all(ready);
    await sleep(3000);
    const after = await memoryOf(base);
    console.log(
      `  router memory, ${IDLE} idle subscriptions (one per connection, over 10 streams): ` +
        `heap +${((after.heap - before.heap) / IDLE / 1024).toFixed(1)} KiB and RSS +${((after.rss - before.rss) / IDLE / 1024).toFixed(1)} KiB per subscription ` +
        `(heap ${(before.heap / 2 ** 20).toFixed(0)} -> ${(after.heap / 2 ** 20).toFixed(0)} MiB, RSS ${(before.rss / 2 ** 20).toFixed(0)} -> ${(after.rss / 2 ** 20).toFixed(0)} MiB)`,
    );
    await Promise.all([...clients, warm].map((c) => c.dispose()));
    for (const s of streams) await gql(url, token, 'mutation($s: ID!) { stopGeneration(streamId: $s) }', { s });
  } finally {
    await new Promise<void>((resolve) => {
      if (router.exitCode !== null) return resolve();
      router.once('exit', () => resolve());
      router.kill('SIGTERM');
    });
  }
}

async function run(mode: string): Promise<void> {
  const provider = await startPacedProvider();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-bench-live-'));
  const catalogFile = path.join(dataDir, 'models.json');
  const models = [FIRST_TOKEN, PACED, BURST, 'paced-0x200', IDLE_MODEL];
  writeFileSync(
    catalogFile,
    JSON.stringify({
      providers: [{ id: 'bench', kind: 'openai', baseURL: provider.baseURL, apiKeyEnv: 'BENCH_PROVIDER_KEY' }],
      models: models.map((id) => ({ id, displayName: id, contextWindow: 8192, capabilities: ['chat'] })),
      routes: Object.fromEntries(models.map((id) => [id, [{ provider: 'bench', model: id }]])),
      titleModel: FIRST_TOKEN,
    }),
  );
  let bus: EventBus | undefined;
  let kv: KvStore | undefined;
  if (mode === 'kafka-redis') {
    if (!process.env.KAFKA_BROKERS || !process.env.REDIS_URL) throw new Error('kafka-redis mode needs KAFKA_BROKERS and REDIS_URL');
    const logger = createLogger({ name: 'bench', level: 'warn' });
    bus = createKafkaEventBus({ brokers: process.env.KAFKA_BROKERS.split(','), clientId: 'bench-live-chat', logger });
    kv = createRedisKv({ url: process.env.REDIS_URL, keyPrefix: `bench-${Date.now()}:`, logger });
    await bus.start();
    await kv.start();
  }
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const stack = await startEmbedded(
    config,
    {
      ...process.env,
      LOG_LEVEL: 'warn',
      MODEL_CATALOG_FILE: catalogFile,
      BENCH_PROVIDER_KEY: 'sk-bench',
      ARGON2_MEMORY_KIB: '4096',
      ARGON2_TIME_COST: '1',
      MAX_CONCURRENT_GENERATIONS: '1000',
      // One user drives every stream here: lift the per-user caps (bench:fairness measures them).
      MAX_OPEN_GENERATIONS_PER_USER: '1000',
      MAX_RUNNING_GENERATIONS_PER_USER: '1000',
    },
    undefined,
    { bus, kv },
  );
  try {
    console.log(
      `\nlive chat, ${mode} (${mode === 'embedded' ? 'in-process bus and key-value store' : 'Kafka bus, Redis streams'}), Node ${process.version}`,
    );
    const token = await register(stack.url, 'bench');
    await timeToFirstToken(stack, provider, token);
    await stopLatency(stack, token);
    await burst(stack, token);
    await concurrent(stack, token);
    if (mode === MODES[0]) await idleMemory(stack, token);
  } finally {
    await stack.stop();
    await bus?.stop();
    await kv?.stop();
    await provider.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  for (const mode of MODES) await run(mode);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
