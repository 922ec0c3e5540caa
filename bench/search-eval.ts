/**
 * Retrieval quality of search's three modes on a judged set (bench/search-eval/): 289 chat
 * messages over 24 topics, 36 queries with graded relevance judgments. Prints nDCG@10 and
 * Recall@10 for KEYWORD, SEMANTIC and HYBRID, overall and per query kind, on the embedded engine
 * and, when ELASTICSEARCH_URL is set, on Elasticsearch. Documents and queries are embedded by
 * the embedder search's configuration names (SEARCH_EMBEDDINGS: the hashed character trigrams by
 * default), as search's consumer does.
 *
 *   pnpm bench:search-eval
 *   ELASTICSEARCH_URL=http://127.0.0.1:9250 pnpm bench:search-eval
 *   SEARCH_EMBEDDINGS=ai-gateway pnpm bench:search-eval      # ai-gateway's embeddings route
 *
 * With SEARCH_EMBEDDINGS=ai-gateway and no AI_GATEWAY_URL, a one-process stack is started and its
 * ai-gateway embeds (MODEL_CATALOG_FILE's embedding model; the built-in catalog's is
 * `local-demo-embedding`, 256 dimensions); SEARCH_EMBEDDING_DIMENSIONS must be the model's.
 *
 * Relevance figures do not depend on the machine's load.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  createElasticsearchIndex,
  createEmbeddedSearchIndex,
  dropElasticsearchIndex,
  type SearchIndex,
  type SearchMode,
} from '@chatgraph/kit/search';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createLogger, loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded } from '@chatgraph/launcher';
import { DOC_KINDS, embedderFromConfig, loadSearchConfig, searchIndexDefinition, type Embedder } from '@chatgraph/search';

interface EvalMessage {
  id: string;
  conversationId: string;
  role: 'USER' | 'ASSISTANT';
  text: string;
}

interface EvalQuery {
  id: string;
  kind: string;
  query: string;
  /** Message id -> grade (2 answers it, 1 related). */
  relevant: Record<string, number>;
}

const DIR = path.join(__dirname, 'search-eval');
const OWNER = 'eval-owner';
const K = 10;
let embedder: Embedder;

const messages: EvalMessage[] = readFileSync(path.join(DIR, 'messages.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as EvalMessage);
const queries = (JSON.parse(readFileSync(path.join(DIR, 'queries.json'), 'utf8')) as { queries: EvalQuery[] }).queries;

/** nDCG@k with gains 2^grade - 1 and the usual log2 discount. */
export function ndcgAtK(ranked: readonly string[], relevant: Record<string, number>, k = K): number {
  const gain = (grade: number): number => 2 ** grade - 1;
  const dcg = ranked.slice(0, k).reduce((sum, id, i) => sum + gain(relevant[id] ?? 0) / Math.log2(i + 2), 0);
  const ideal = Object.values(relevant)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, grade, i) => sum + gain(grade) / Math.log2(i + 2), 0);
  return ideal === 0 ? 0 : dcg / ideal;
}

/** The share of relevant messages (any grade) found in the top k. */
export function recallAtK(ranked: readonly string[], relevant: Record<string, number>, k = K): number {
  const wanted = Object.keys(relevant);
  return wanted.filter((id) => ranked.slice(0, k).includes(id)).length / wanted.length;
}

async function load(index: SearchIndex): Promise<void> {
  const { model, vectors } = await embedder.embed(messages.map((message) => message.text));
  await index.upsert(
    messages.map((message, i) => {
      const vector = vectors[i];
      return {
        id: message.id,
        ownerId: OWNER,
        kind: DOC_KINDS.message,
        text: { content: message.text },
        keywords: { conversationId: message.conversationId, role: message.role, embeddingModel: model },
        ...(vector ? { vector } : {}),
        createdAt: new Date('2026-01-01T00:00:00Z'),
      };
    }),
    { refresh: true },
  );
}

/** The top K ids of one query, asked as search's service asks the port. */
async function ranked(index: SearchIndex, mode: SearchMode, query: string): Promise<string[]> {
  const vector = mode === 'keyword' ? undefined : ((await embedder.embed([query])).vectors[0] ?? undefined);
  if (mode !== 'keyword' && !vector) return mode === 'semantic' ? [] : ranked(index, 'keyword', query);
  const result = await index.search({ ownerId: OWNER, text: query, ...(vector ? { vector } : {}), mode, size: K });
  return result.hits.map((hit) => hit.id);
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

async function evaluate(engine: string, index: SearchIndex): Promise<void> {
  await index.start();
  try {
    await load(index);
    const kinds = [...new Set(queries.map((query) => query.kind))];
    console.log(`\n${engine}: ${messages.length} messages, ${queries.length} queries (${await embedder.currentModel()})`);
    console.log(
      `${'mode'.padEnd(9)} ${'nDCG@10'.padStart(8)} ${'R@10'.padStart(6)}   ${kinds.map((kind) => `${kind} nDCG/R`.padStart(22)).join('')}`,
    );
    for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
      const scores: Array<{ kind: string; ndcg: number; recall: number }> = [];
      for (const query of queries) {
        const ids = await ranked(index, mode, query.query);
        scores.push({ kind: query.kind, ndcg: ndcgAtK(ids, query.relevant), recall: recallAtK(ids, query.relevant) });
      }
      const perKind = kinds.map((kind) => {
        const of = scores.filter((score) => score.kind === kind);
        return `${mean(of.map((s) => s.ndcg)).toFixed(3)}/${mean(of.map((s) => s.recall)).toFixed(3)} (${of.length})`.padStart(22);
      });
      console.log(
        `${mode.toUpperCase().padEnd(9)} ${mean(scores.map((s) => s.ndcg))
          .toFixed(3)
          .padStart(8)} ${mean(scores.map((s) => s.recall))
          .toFixed(3)
          .padStart(6)}   ${perKind.join('')}`,
      );
    }
  } finally {
    await index.stop();
  }
}

/** The configured embedder; for ai-gateway without a URL, a one-process stack's (stopped by the returned function). */
async function configuredEmbedder(): Promise<{ embedder: Embedder; stop(): Promise<void> }> {
  const secret = process.env.INTERNAL_SIGNING_SECRET ?? 'search-eval-signing-secret-0123456789abcdef';
  const config = loadSearchConfig({ ...process.env, INTERNAL_SIGNING_SECRET: secret }, { oneProcess: true });
  const logger = createLogger({ name: 'search-eval', level: 'warn' });
  if (config.SEARCH_EMBEDDINGS === 'local' || config.AI_GATEWAY_URL)
    return { embedder: embedderFromConfig(config, logger), stop: () => Promise.resolve() };
  const dataDir = mkdtempSync(path.join(tmpdir(), 'search-eval-'));
  const stackConfig = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const stack = await startEmbedded(stackConfig, { LOG_LEVEL: 'silent', RATE_LIMITS: 'off' });
  const url = stack.aiGateway.url;
  return {
    embedder: embedderFromConfig({ ...config, INTERNAL_SIGNING_SECRET: stack.signingSecret }, logger, () => url),
    async stop() {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const configured = await configuredEmbedder();
  embedder = configured.embedder;
  try {
    await evaluateEngines();
  } finally {
    await configured.stop();
  }
}

async function evaluateEngines(): Promise<void> {
  await evaluate('embedded', createEmbeddedSearchIndex({ definition: searchIndexDefinition('search-eval', embedder.dims) }));
  const node = process.env.ELASTICSEARCH_URL;
  if (node) {
    const name = `search-eval-${Date.now()}`;
    try {
      await evaluate('elasticsearch', createElasticsearchIndex({ node, index: searchIndexDefinition(name, embedder.dims) }));
    } finally {
      await dropElasticsearchIndex(node, name);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
