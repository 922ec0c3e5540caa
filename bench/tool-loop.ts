/**
 * Tool loop overhead (issue 17): one ai-gateway in this process over the embedded store, bus and
 * kv, its provider the fake OpenAI server (real `openai` SDK, real HTTP, no model time), its
 * `file_search` over the embedded chunk index holding `TOOL_BENCH_CHUNKS` chunks of one user's file.
 * Turns run one after another, the three kinds interleaved so load drifts hit them alike:
 *
 * - plain: a plain chat turn (no tools);
 * - thread: an assistant thread turn offering `file_search` that the model answers directly;
 * - search: a thread turn where the model calls `file_search`, then answers.
 *
 * Printed, in ms (p50 / p95 / max): per search turn, the gap between the end of the provider's
 * tool-call response and the arrival of the next provider request (ai-gateway's own time for the
 * round: parsing the call, running `file_search`, writing the tool chunks, building the next
 * request), the `file_search` call itself, and the gap without it; then time to first token
 * (publish of `generation.requested` -> first `delta` entry of the token stream) per kind, and
 * thread/plain and search/plain ratios of the p50s (ratios are comparable across loads; absolute
 * figures are not, the machine is shared).
 *
 *   pnpm bench:tool-loop   # TOOL_BENCH_TURNS=100 TOOL_BENCH_CHUNKS=200
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildAiGateway, catalogFromConfig, fileChunkIndexDefinition, loadAiGatewayConfig } from '@chatgraph/ai-gateway';
import { createLogger, newId } from '@chatgraph/kit';
import { documentStoreFromConfig } from '@chatgraph/kit/store';
import { eventBusFromConfig } from '@chatgraph/kit/events';
import { createEmbeddedKv } from '@chatgraph/kit/kv';
import { createEmbeddedSearchIndex } from '@chatgraph/kit/search';
import { aiGenerationV1, fileFileV1, tokenStreamKey, type EventEnvelope } from '@chatgraph/schema';
import { startFakeOpenAI } from '../subgraphs/ai-gateway/test/support/fakeOpenAI';

const TURNS = Number(process.env.TOOL_BENCH_TURNS ?? 100);
const CHUNKS = Number(process.env.TOOL_BENCH_CHUNKS ?? 200);
const SECRET = 'tool-loop-bench-secret-0123456789abcdef';

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const p50 = (samples: number[]): number =>
  percentile(
    [...samples].sort((a, b) => a - b),
    50,
  );

function report(name: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const fmt = (ms: number) => ms.toFixed(2).padStart(8);
  console.log(
    `${name.padEnd(44)} n=${String(sorted.length).padStart(4)}  p50 ${fmt(percentile(sorted, 50))}  p95 ${fmt(percentile(sorted, 95))}  max ${fmt(sorted.at(-1) ?? NaN)}`,
  );
}

const WORDS = 'falcon sparrow heron eagle owl kestrel swift crane stork ibis tern gull'.split(' ');

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tool-loop-bench-'));
  const fake = await startFakeOpenAI();
  const catalogFile = path.join(dataDir, 'catalog.json');
  writeFileSync(
    catalogFile,
    JSON.stringify({
      providers: [{ id: 'fake', kind: 'openai', baseURL: fake.baseURL }],
      models: ['plain', 'thread', 'search'].map((id) => ({ id, displayName: id, contextWindow: 128_000, capabilities: ['chat', 'tools'] })),
      routes: Object.fromEntries(['plain', 'thread', 'search'].map((id) => [id, [{ provider: 'fake', model: `gpt-${id}` }]])),
    }),
  );
  const env = {
    INTERNAL_SIGNING_SECRET: SECRET,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    TITLES_ENABLED: 'false',
    MODEL_CATALOG_FILE: catalogFile,
  };
  const config = loadAiGatewayConfig(env);
  const logger = createLogger({ name: 'ai-gateway', level: 'silent' });
  const store = documentStoreFromConfig(config, 'ai-gateway', logger);
  const bus = eventBusFromConfig(config, 'ai-gateway', logger);
  const kv = createEmbeddedKv({ logger });
  await store.start();
  await bus.start();
  await kv.start();
  const index = createEmbeddedSearchIndex({ definition: fileChunkIndexDefinition('tool-loop-bench'), logger });
  const gateway = buildAiGateway({
    store,
    bus,
    kv,
    config,
    logger,
    catalog: catalogFromConfig(config, env),
    fileChunkIndex: index,
    relayPollMs: 50,
  });
  await gateway.start(0);

  const outcomes = new Map<string, (event: EventEnvelope) => void>();
  await bus.subscribe({
    groupId: 'tool-loop-bench',
    topics: [aiGenerationV1.topic],
    handler: async (delivery) => {
      if (delivery.event.type !== 'generation.completed' && delivery.event.type !== 'generation.failed') return;
      outcomes.get(String(delivery.event.subject.streamId))?.(delivery.event);
    },
  });

  // One user's file, chunked as the file service would send it.
  const ownerId = `u-${newId()}`;
  const fileId = `f-${newId()}`;
  for (let from = 0; from < CHUNKS; from += 100) {
    const chunks = Array.from({ length: Math.min(100, CHUNKS - from) }, (_, i) => {
      const n = from + i;
      const text = Array.from({ length: 60 }, (_, w) => WORDS[(n * 7 + w * 3) % WORDS.length]).join(' ');
      return { index: n, text, tokens: 60 };
    });
    const event = fileFileV1.create('file.chunked', { fileId, ownerId }, { filename: 'birds.txt', chunks, chunkCount: CHUNKS });
    await bus.publish(fileFileV1.topic, [{ key: fileId, event }]);
  }
  for (let i = 0; i < 2000; i++) {
    const indexed = await index.search({
      ownerId,
      mode: 'keyword',
      text: 'falcon',
      size: 1,
      filters: { keywords: { chunkIndex: String(CHUNKS - 1) } },
    });
    if (indexed.hits.length > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }

  const search = JSON.stringify({ query: 'falcon heron' });
  fake.script('gpt-plain', { text: 'A plain answer of a few words.' });
  fake.script('gpt-thread', { text: 'A plain answer of a few words.' });
  fake.script(
    'gpt-search',
    Array.from({ length: TURNS + 5 }, () => [
      { toolCalls: [{ name: 'file_search', arguments: search }] },
      { text: 'A plain answer of a few words.' },
    ]).flat(),
  );

  /** One turn: TTFT (publish -> first delta entry) and its outcome. */
  async function turn(model: 'plain' | 'thread' | 'search'): Promise<{ ttft: number; outcome: EventEnvelope }> {
    const subject = { conversationId: `c-${newId()}`, messageId: `m-${newId()}`, streamId: `s-${newId()}`, ownerId };
    const outcome = new Promise<EventEnvelope>((resolve) => outcomes.set(subject.streamId, resolve));
    const controller = new AbortController();
    const started = performance.now();
    const firstDelta = (async () => {
      for await (const entry of kv.follow(tokenStreamKey(subject.streamId), { signal: controller.signal }))
        if (entry.fields.type === 'delta') return performance.now() - started;
      return NaN;
    })();
    const event = aiGenerationV1.create('generation.requested', subject, {
      model,
      messages: [
        { role: 'SYSTEM' as const, content: 'You are helpful.' },
        { role: 'USER' as const, content: 'Which birds dive fastest?' },
      ],
      droppedMessages: 0,
      estimatedPromptTokens: 20,
      ...(model === 'plain'
        ? {}
        : { tools: ['file_search'], assistantId: 'a-1', assistantVersion: 1, knowledge: { ownerId, fileIds: [fileId] } }),
    });
    await bus.publish(aiGenerationV1.topic, [{ key: subject.conversationId, event }]);
    const ttft = await firstDelta;
    const done = await outcome;
    controller.abort();
    outcomes.delete(subject.streamId);
    return { ttft, outcome: done };
  }

  // Warm-up (SDK, index, JIT), not counted.
  for (let i = 0; i < 5; i++) for (const model of ['plain', 'thread', 'search'] as const) await turn(model);
  const ttft = { plain: [] as number[], thread: [] as number[], search: [] as number[] };
  const toolMs: number[] = [];
  const before = fake.requestsFor('gpt-search').length;
  for (let i = 0; i < TURNS; i++)
    for (const model of ['plain', 'thread', 'search'] as const) {
      const { ttft: t, outcome } = await turn(model);
      ttft[model].push(t);
      if (model === 'search') {
        const calls = (outcome.payload as { toolCalls?: Array<{ durationMs: number; outcome: string }> }).toolCalls ?? [];
        if (calls[0]?.outcome !== 'OK') throw new Error(`file_search did not succeed: ${JSON.stringify(calls)}`);
        toolMs.push(calls[0].durationMs);
      }
    }
  const sent = fake.requestsFor('gpt-search').slice(before);
  const gaps: number[] = [];
  for (let i = 0; i + 1 < sent.length; i += 2) {
    const toolCall = sent[i];
    const next = sent[i + 1];
    if (!toolCall?.respondedAt || !next) continue;
    gaps.push(next.receivedAt - toolCall.respondedAt);
  }

  console.log(`tool loop: ${TURNS} turns of each kind, file_search over ${CHUNKS} chunks (embedded index), fake provider over HTTP`);
  report('round gap (tool call -> next request)', gaps);
  report('  of which file_search (durationMs, rounded)', toolMs);
  report(
    '  without file_search',
    gaps.map((g, i) => g - (toolMs[i] ?? 0)),
  );
  report('TTFT plain chat', ttft.plain);
  report('TTFT assistant thread (tools offered)', ttft.thread);
  report('TTFT assistant thread (file_search round)', ttft.search);
  console.log(`TTFT ratio thread/plain (p50): ${(p50(ttft.thread) / p50(ttft.plain)).toFixed(2)}`);
  console.log(`TTFT ratio search/plain (p50): ${(p50(ttft.search) / p50(ttft.plain)).toFixed(2)}`);

  await gateway.stop();
  await kv.stop();
  await bus.stop();
  await store.stop();
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
