/**
 * Embedding throughput through ai-gateway's signed `/internal/embeddings` route, as search calls
 * it (`gatewayEmbedder`): texts/s with batches of 128 (the route's maximum, search's default)
 * against one text per request, one request at a time, and the ratio. Two models of one catalog:
 * ai-gateway's built-in `local-demo-embedding` (computed in ai-gateway: the route's own cost) and
 * `fake-embed`, an OpenAI-compatible deployment (the `openai` SDK) answered by the fake OpenAI
 * server of ai-gateway's tests. The local trigram embedder (in search's process) for reference.
 * The stack is the one-process launcher (every service, embedded adapters).
 *
 *   pnpm bench:search-embeddings                 # 2,048 texts batched, 256 unbatched
 *   SEARCH_EMBED_BENCH_TEXTS=4096 pnpm bench:search-embeddings
 *
 * The machine is shared: absolute figures move with its load; the batched/unbatched ratio of one
 * run is what to compare.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger, loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded } from '@chatgraph/launcher';
import { gatewayEmbedder, hashedTrigramEmbedder, type Embedder } from '@chatgraph/search';
import { fakeEmbeddingsCatalog } from '../subgraphs/ai-gateway/test/support/catalogs';
import { startFakeOpenAI } from '../subgraphs/ai-gateway/test/support/fakeOpenAI';
import { syntheticCorpus } from './search-corpus';

const TEXTS = Number(process.env.SEARCH_EMBED_BENCH_TEXTS ?? 2048);
const UNBATCHED_TEXTS = Math.min(TEXTS, Number(process.env.SEARCH_EMBED_BENCH_UNBATCHED ?? 256));
const FAKE_DIMS = 64;

async function textsPerSecond(embedder: Embedder, texts: string[]): Promise<number> {
  // One warm-up call (connections, JIT) outside the measure.
  await embedder.embed(texts.slice(0, 1));
  const start = process.hrtime.bigint();
  const result = await embedder.embed(texts);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.vectors.filter((v) => v !== null).length !== texts.length) throw new Error('some texts were not embedded');
  return texts.length / seconds;
}

async function main(): Promise<void> {
  const corpus = syntheticCorpus(7);
  const texts = Array.from({ length: TEXTS }, () => corpus.text());
  const fake = await startFakeOpenAI({ embeddingDimensions: FAKE_DIMS });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-search-embeddings-'));
  const catalogFile = path.join(dataDir, 'catalog.json');
  writeFileSync(catalogFile, JSON.stringify(fakeEmbeddingsCatalog(fake.baseURL)));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const stack = await startEmbedded(config, { LOG_LEVEL: 'silent', RATE_LIMITS: 'off', MODEL_CATALOG_FILE: catalogFile });
  const logger = createLogger({ name: 'bench', level: 'silent' });
  try {
    console.log(`embedding throughput: ${TEXTS} texts batched, ${UNBATCHED_TEXTS} one per request (synthetic, 8-60 words each)`);
    console.log(`${'model'.padEnd(22)} ${'batched (128) texts/s'.padStart(22)} ${'unbatched texts/s'.padStart(18)} ${'ratio'.padStart(7)}`);
    for (const [model, dims] of [
      ['local-demo-embedding', 256],
      ['fake-embed', FAKE_DIMS],
    ] as const) {
      const through = (batchSize: number) =>
        gatewayEmbedder({
          url: stack.aiGateway.url,
          signingSecret: stack.signingSecret,
          dims,
          model,
          batchSize,
          timeoutMs: 60_000,
          attempts: 1,
          backoffMs: 0,
          logger,
        });
      const batched = await textsPerSecond(through(128), texts);
      const unbatched = await textsPerSecond(through(1), texts.slice(0, UNBATCHED_TEXTS));
      console.log(
        `${model.padEnd(22)} ${batched.toFixed(0).padStart(22)} ${unbatched.toFixed(0).padStart(18)} ${(batched / unbatched).toFixed(1).padStart(6)}x`,
      );
    }
    const local = await textsPerSecond(hashedTrigramEmbedder(), texts);
    console.log(`${'hashed-trigrams-v1-256'.padEnd(22)} ${local.toFixed(0).padStart(22)} ${'(in process)'.padStart(18)}`);
  } finally {
    await stack.stop();
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
