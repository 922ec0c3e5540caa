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
import { createElasticsearchIndex, createEmbeddedSearchIndex, type SearchIndex } from '@chatgraph/kit/search';
import { hashedTrigramEmbedder, searchIndexDefinition } from '@chatgraph/search';
import { messageDocument, syntheticCorpus } from './search-corpus';

const INDEX_DOCS = Number(process.env.SEARCH_BENCH_INDEX_DOCS ?? 2000);
const embedder = hashedTrigramEmbedder();

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
          await fetch(`${node}/${name}`, { method: 'DELETE' });
          await fetch(`${node}/_index_template/${name}`, { method: 'DELETE' });
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

async function main(): Promise<void> {
  const parts = process.argv.slice(2);
  const wanted = (part: string): boolean => parts.length === 0 || parts.includes(part);
  const engines = [embedded, ...(process.env.ELASTICSEARCH_URL ? [elasticsearch(process.env.ELASTICSEARCH_URL)] : [])];
  if (wanted('indexing')) await indexing(engines);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
