/**
 * The final `messageStream` chunk, through the router on the one-process stack (demo model):
 *
 * 1. Stale final chunks: turns whose `done` chunk carries a hydrated `message` that is not the
 *    finished one (status still PENDING/STREAMING, or content different from the streamed text,
 *    or — on a conversation's first turn — the title not yet generated).
 * 2. What holding the done chunk until conversation applied the outcome costs: last delta chunk
 *    received -> done chunk received, p50/p99, on title turns (a conversation's first answer) and
 *    on follow-up turns; and sendMessage -> done chunk.
 *
 * Modes: `embedded` (in-process bus and key-value store, fsynced) and `kafka-redis` (the services
 * share a Kafka bus and a Redis kv; documents stay embedded), when KAFKA_BROKERS and REDIS_URL are set.
 *
 *   pnpm bench:final-chunk                 (FINAL_TURNS=100 TOKEN_MS=10 TURNS_PER_CONVERSATION=5)
 *   BENCH_MODES=embedded,kafka-redis KAFKA_BROKERS=127.0.0.1:9092 REDIS_URL=redis://127.0.0.1:6390 pnpm bench:final-chunk
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createLogger, loadConfig } from '@chatgraph/kit';
import { createKafkaEventBus, type EventBus } from '@chatgraph/kit/events';
import { createRedisKv, type KvStore } from '@chatgraph/kit/kv';
import { EMBEDDED_CONFIG_SPEC, startEmbedded } from '@chatgraph/launcher';

const MODES = (process.env.BENCH_MODES ?? 'embedded').split(',').map((m) => m.trim());
const TURNS = Number(process.env.FINAL_TURNS ?? 100);
const TOKEN_MS = process.env.TOKEN_MS ?? '10';
const PER_CONVERSATION = Number(process.env.TURNS_PER_CONVERSATION ?? 5);
const UNNAMED = 'New conversation';

interface Chunk {
  seq: number;
  delta: string;
  done: boolean;
  status: string | null;
  message: { id: string; status: string; content: string; tokenCount: number | null; conversation: { title: string } } | null;
}

const STREAM =
  'subscription($id: ID!) { messageStream(streamId: $id) { seq delta done status message { id status content tokenCount conversation { title } } } }';

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const fmt = (values: number[]): string =>
  values.length ? `p50 ${pct(values, 50).toFixed(1)} ms, p99 ${pct(values, 99).toFixed(1)} ms (n=${values.length})` : 'n=0';

async function run(mode: string): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-bench-final-'));
  let bus: EventBus | undefined;
  let kv: KvStore | undefined;
  if (mode === 'kafka-redis') {
    if (!process.env.KAFKA_BROKERS || !process.env.REDIS_URL) throw new Error('kafka-redis mode needs KAFKA_BROKERS and REDIS_URL');
    const logger = createLogger({ name: 'bench', level: 'warn' });
    const run = `bench-final-${Date.now()}`;
    bus = createKafkaEventBus({ brokers: process.env.KAFKA_BROKERS.split(','), clientId: run, namespace: `${run}.`, logger });
    kv = createRedisKv({ url: process.env.REDIS_URL, keyPrefix: `${run}:`, logger });
    await bus.start();
    await kv.start();
  }
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const stack = await startEmbedded(
    config,
    { ...process.env, LOG_LEVEL: 'warn', ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', DEMO_TOKEN_INTERVAL_MS: TOKEN_MS },
    undefined,
    { bus, kv },
  );
  const gql = async <T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> => {
    const res = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: unknown };
    if (!body.data) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  try {
    const { register } = await gql<{ register: { accessToken: string } }>(
      'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
      { input: { email: `bench-${Date.now()}@example.com`, name: 'Bench', password: 'a perfectly fine passphrase' } },
    );
    const token = register.accessToken;
    const ws = createClient({
      url: stack.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    const lag = { title: [] as number[], followUp: [] as number[] };
    const total: number[] = [];
    let stale = 0;
    let conversationId = '';
    for (let turn = 0; turn < TURNS; turn++) {
      const first = turn % PER_CONVERSATION === 0;
      if (first)
        conversationId = (await gql<{ createConversation: { id: string } }>('mutation { createConversation { id } }', {}, token))
          .createConversation.id;
      const sentAt = performance.now();
      const { sendMessage } = await gql<{ sendMessage: { streamId: string } }>(
        'mutation($input: SendMessageInput!) { sendMessage(input: $input) { streamId } }',
        { input: { conversationId, content: `bench turn ${turn} about final chunks` } },
        token,
      );
      const chunks: Array<Chunk & { at: number }> = [];
      await new Promise<void>((resolve, reject) => {
        ws.subscribe<{ messageStream: Chunk }>(
          { query: STREAM, variables: { id: sendMessage.streamId } },
          {
            next: (r) =>
              r.data ? chunks.push({ ...r.data.messageStream, at: performance.now() }) : reject(new Error(JSON.stringify(r.errors))),
            error: reject,
            complete: resolve,
          },
        );
      });
      const done = chunks.at(-1);
      const lastDelta = chunks.filter((c) => !c.done && c.delta.length > 0).at(-1);
      if (!done?.done || !lastDelta) throw new Error(`turn ${turn}: incomplete stream`);
      const text = chunks.map((c) => c.delta).join('');
      const m = done.message;
      if (!m || m.status !== done.status || m.content !== text || (first && m.conversation.title === UNNAMED)) stale += 1;
      (first ? lag.title : lag.followUp).push(done.at - lastDelta.at);
      total.push(done.at - sentAt);
      // The next turn of the conversation needs this answer final (CONFLICT otherwise): a client
      // whose final chunk was stale would have to wait like this too.
      for (let tries = 0; tries < 500; tries++) {
        const read = await gql<{ conversation: { currentBranch: Array<{ status: string }> } }>(
          'query($id: ID!) { conversation(id: $id) { currentBranch { status } } }',
          { id: conversationId },
          token,
        );
        if (!['PENDING', 'STREAMING'].includes(read.conversation.currentBranch.at(-1)?.status ?? '')) break;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    await ws.dispose();
    console.log(`final chunk, ${mode}, demo model at ${TOKEN_MS} ms/token, ${TURNS} turns (${PER_CONVERSATION} per conversation)`);
    console.log(`  stale final chunks: ${stale} of ${TURNS}`);
    console.log(`  last delta -> done chunk, title turns:     ${fmt(lag.title)}`);
    console.log(`  last delta -> done chunk, follow-up turns: ${fmt(lag.followUp)}`);
    console.log(`  sendMessage -> done chunk:                 ${fmt(total)}`);
  } finally {
    await stack.stop();
    await bus?.stop();
    await kv?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  for (const mode of MODES) await run(mode);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
