/**
 * Search index figures, embedded (and Elasticsearch when ELASTICSEARCH_URL is set):
 * - indexing throughput (documents/s) as search's consumer writes: one document per `upsert`,
 *   one at a time (one partition) and 4 at a time (4 partitions), and in bulks of 500; the
 *   embedded engine with a data directory (so every acknowledged write is durable);
 * - query latency p50/p99 over 100,000 indexed messages, per mode (SEARCH_BENCH_MESSAGES);
 * - index lag: event published on the bus -> findable through search, p50/p99.
 *
 *   pnpm bench:search                  # all parts
 *   pnpm bench:search indexing         # one part: indexing | query | lag
 *
 * The machine is shared: absolute figures move with its load; compare runs made side by side.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createElasticsearchIndex,
  createEmbeddedSearchIndex,
  dropElasticsearchIndex,
  type SearchIndex,
  type SearchMode,
} from '@chatgraph/kit/search';
import { createLogger, newId } from '@chatgraph/kit';
import { eventBusFromConfig } from '@chatgraph/kit/events';
import { conversationMessageV1 } from '@chatgraph/schema';
import { buildSearch, hashedTrigramEmbedder, loadSearchConfig, searchIndexDefinition, trigramVector } from '@chatgraph/search';
import { messageDocument, percentile, syntheticCorpus, TRIGRAMS } from './search-corpus';

const INDEX_DOCS = Number(process.env.SEARCH_BENCH_INDEX_DOCS ?? 2000);
const MESSAGES = Number(process.env.SEARCH_BENCH_MESSAGES ?? 100_000);
const QUERIES = Number(process.env.SEARCH_BENCH_QUERIES ?? 200);
const LAG_EVENTS = Number(process.env.SEARCH_BENCH_LAG_EVENTS ?? 200);
/** One heavy user with this many messages; the rest spread over users of 1,000 each. */
const HEAVY_USER_MESSAGES = 10_000;
const embedder = TRIGRAMS;

interface Engine {
  name: string;
  /** A fresh, started index; `cleanup` stops and removes it. */
  make(label: string): Promise<{ index: SearchIndex; cleanup(): Promise<void> }>;
}

/** The embedded engine in memory only: no file, the upper bound durability is compared with. */
const embeddedInMemory: Engine = {
  name: 'embedded (mem)',
  async make(label) {
    const index = createEmbeddedSearchIndex({ definition: searchIndexDefinition(`bench-${label}`, embedder.dims) });
    await index.start();
    return { index, cleanup: () => index.stop() };
  },
};

/** The embedded engine as search runs it: a data directory, every write durable before it resolves. */
const embedded: Engine = {
  name: 'embedded',
  async make(label) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-search-'));
    const index = createEmbeddedSearchIndex({ definition: searchIndexDefinition(`bench-${label}`, embedder.dims), dataDir });
    await index.start();
    return {
      index,
      async cleanup() {
        await index.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

function elasticsearch(node: string): Engine {
  return {
    name: 'elasticsearch',
    async make(label) {
      const name = `bench-search-${label}-${Date.now()}`;
      const index = createElasticsearchIndex({ node, index: searchIndexDefinition(name, embedder.dims) });
      await index.start();
      return {
        index,
        async cleanup() {
          await dropElasticsearchIndex(node, name);
          await index.stop();
        },
      };
    },
  };
}

async function docsPerSecond(engine: Engine, label: string, batch: number, concurrency: number): Promise<string> {
  const { index, cleanup } = await engine.make(`indexing${batch}x${concurrency}`);
  const corpus = syntheticCorpus(7);
  const docs = Array.from({ length: INDEX_DOCS }, (_, i) =>
    messageDocument(embedder, `m${i}`, `owner${i % 10}`, `c${i % 100}`, corpus.text()),
  );
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < docs.length) {
        const slice = docs.slice(next, next + batch);
        next += batch;
        await index.upsert(slice);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await cleanup();
  return `${engine.name.padEnd(14)} ${label.padEnd(34)} ${(INDEX_DOCS / seconds).toFixed(0).padStart(8)} docs/s`;
}

async function indexing(engines: readonly Engine[]): Promise<void> {
  console.log(`indexing ${INDEX_DOCS} messages (embedding excluded: vectors are computed beforehand)`);
  console.log('the durable engine waits for an fsync per write: compare it with the in-memory rows of the same run');
  for (const engine of [embeddedInMemory, ...engines]) {
    console.log(await docsPerSecond(engine, 'one per upsert, 1 in flight', 1, 1));
    console.log(await docsPerSecond(engine, 'one per upsert, 4 in flight', 1, 4));
    console.log(await docsPerSecond(engine, 'bulks of 500, 1 in flight', 500, 1));
  }
}

/** Loads MESSAGES messages: `heavy` has HEAVY_USER_MESSAGES of them, users `u<i>` 1,000 each. */
async function loadMessages(index: SearchIndex): Promise<void> {
  const corpus = syntheticCorpus(11);
  const started = process.hrtime.bigint();
  for (let start = 0; start < MESSAGES; start += 1000) {
    const docs = Array.from({ length: Math.min(1000, MESSAGES - start) }, (_, j) => {
      const i = start + j;
      const owner = i < HEAVY_USER_MESSAGES ? 'heavy' : `u${Math.floor((i - HEAVY_USER_MESSAGES) / 1000)}`;
      return messageDocument(embedder, `m${i}`, owner, `c${Math.floor(i / 50)}`, corpus.text());
    });
    await index.upsert(docs);
  }
  await index.refresh();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`loaded ${MESSAGES} messages in ${seconds.toFixed(1)} s (embedding included, bulks of 1,000)`);
}

async function latencies(index: SearchIndex, ownerId: string, mode: SearchMode): Promise<string> {
  const corpus = syntheticCorpus(23);
  const samples: number[] = [];
  let hits = 0;
  for (let i = 0; i < QUERIES; i++) {
    const text = corpus.query();
    const start = process.hrtime.bigint();
    // As search's service does: the query embedded (part of the cost) unless KEYWORD.
    const vector = mode === 'keyword' ? undefined : (trigramVector(text, embedder.dims) ?? undefined);
    const result = await index.search({ ownerId, text, ...(vector ? { vector } : {}), mode, size: 20 });
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    hits += result.hits.length;
  }
  samples.sort((a, b) => a - b);
  return `${mode.padEnd(9)} p50 ${percentile(samples, 50).toFixed(2).padStart(7)} ms   p99 ${percentile(samples, 99).toFixed(2).padStart(7)} ms   (${(hits / QUERIES).toFixed(1)} hits/query)`;
}

async function queryLatency(engines: readonly Engine[]): Promise<void> {
  for (const engine of engines) {
    // The embedded engine in memory: durability changes writes, not searches, and loads faster.
    const { index, cleanup } = await (engine === embedded ? embeddedInMemory : engine).make('query');
    try {
      console.log(`\nquery latency, ${engine.name}, ${QUERIES} queries of 1-3 words per row, first 20 hits`);
      await loadMessages(index);
      for (const [label, owner] of [
        [`heavy user (${HEAVY_USER_MESSAGES} messages)`, 'heavy'],
        ['typical user (1,000 messages)', 'u3'],
      ] as const) {
        console.log(`  ${label}`);
        for (const mode of ['keyword', 'semantic', 'hybrid'] as const) console.log(`    ${await latencies(index, owner, mode)}`);
      }
    } finally {
      await cleanup();
    }
  }
}

/**
 * Index lag through search itself (its indexing consumer on the bus): a user's message published
 * as conversation publishes it -> found by a keyword search of its own unique word, polled.
 */
async function indexLag(env: Record<string, string>, label: string): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-search-lag-'));
  const config = loadSearchConfig({ INTERNAL_SIGNING_SECRET: 'bench-search-secret-0123456789abcdef', DATA_DIR: dataDir, ...env });
  const logger = createLogger({ name: 'search', level: 'silent' });
  const bus = eventBusFromConfig(config, 'search', logger);
  const definition = searchIndexDefinition(config.SEARCH_INDEX_NAME, embedder.dims);
  const index =
    config.SEARCH_ENGINE === 'elasticsearch'
      ? createElasticsearchIndex({ node: config.ELASTICSEARCH_URL ?? '', index: definition })
      : createEmbeddedSearchIndex({ definition, dataDir: path.join(dataDir, 'search') });
  await bus.start();
  const search = buildSearch({ index, embedder: hashedTrigramEmbedder(embedder.dims), bus, config, logger });
  await search.start(0);
  const corpus = syntheticCorpus(5);
  const samples: number[] = [];
  try {
    for (let i = 0; i < LAG_EVENTS; i++) {
      const m = { ownerId: 'lag-user', conversationId: 'lag-conversation', messageId: newId() };
      const token = `lagtoken${i}x${Date.now()}`;
      const event = conversationMessageV1.create('message.created', m, {
        role: 'USER',
        parentId: null,
        content: `${corpus.text()} ${token}`,
        status: 'COMPLETE',
      });
      const start = process.hrtime.bigint();
      await bus.publish(conversationMessageV1.topic, [{ key: m.conversationId, event }]);
      for (;;) {
        const { hits } = await index.search({ ownerId: 'lag-user', text: token, mode: 'keyword', size: 1 });
        if (hits[0]?.id === m.messageId) break;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  } finally {
    await search.stop();
    await bus.stop();
    if (config.SEARCH_ENGINE === 'elasticsearch') {
      await dropElasticsearchIndex(config.ELASTICSEARCH_URL ?? '', config.SEARCH_INDEX_NAME);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  samples.sort((a, b) => a - b);
  console.log(
    `index lag ${label.padEnd(28)} p50 ${percentile(samples, 50).toFixed(1).padStart(7)} ms   p99 ${percentile(samples, 99).toFixed(1).padStart(7)} ms   (${LAG_EVENTS} messages, one at a time, polled every 1 ms)`,
  );
}

async function main(): Promise<void> {
  const parts = process.argv.slice(2);
  const wanted = (part: string): boolean => parts.length === 0 || parts.includes(part);
  const engines = [embedded, ...(process.env.ELASTICSEARCH_URL ? [elasticsearch(process.env.ELASTICSEARCH_URL)] : [])];
  if (wanted('indexing')) await indexing(engines);
  if (wanted('query')) await queryLatency(engines);
  if (wanted('lag')) {
    console.log('');
    await indexLag({}, 'embedded bus + index');
    if (process.env.KAFKA_BROKERS && process.env.ELASTICSEARCH_URL)
      await indexLag(
        {
          EVENT_BUS: 'kafka',
          KAFKA_BROKERS: process.env.KAFKA_BROKERS,
          KAFKA_NAMESPACE: `bench-${Date.now()}.`,
          SEARCH_ENGINE: 'elasticsearch',
          ELASTICSEARCH_URL: process.env.ELASTICSEARCH_URL,
          SEARCH_INDEX_NAME: `bench-lag-${Date.now()}`,
        },
        'Kafka + Elasticsearch',
      );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
