/**
 * Embeddings of the text search indexes and of queries, behind one interface with two adapters:
 * - `hashedTrigramEmbedder` (the offline default, `SEARCH_EMBEDDINGS=local`): no embedding model
 *   runs offline here, so it is an honest deterministic method named for what it is — hashed
 *   character trigrams. It captures spelling closeness (typos, `bake`/`baking`), not meaning;
 *   SEMANTIC mode with it is fuzzy lexical search.
 * - `gatewayEmbedder` (gatewayEmbedder.ts, `SEARCH_EMBEDDINGS=ai-gateway`): ai-gateway's signed
 *   `/internal/embeddings` route, i.e. the catalog's embedding model (OpenAI-compatible).
 */
export interface Embeddings {
  /** The model that computed the vectors; recorded with each document (`embeddingModel`). */
  model: string;
  /** One per text, in order; null for a text with nothing to embed (no letter or digit). */
  vectors: (number[] | null)[];
}

export interface Embedder {
  /** Dimensions of every vector; the index's `vectorDims` (Elasticsearch's mapping) follows it. */
  readonly dims: number;
  /**
   * The model documents must be embedded with now: documents recorded with another are
   * re-embedded (reembedding.ts), and queries compare vectors of this model only. Asks the
   * source when it is not known yet; throws `EmbeddingUnavailableError` when it cannot answer.
   */
  currentModel(): Promise<string>;
  /** Embeds texts (batched by the adapter); throws `EmbeddingUnavailableError` when it cannot now. */
  embed(texts: readonly string[]): Promise<Embeddings>;
}

/** The embedding source cannot answer now (down, timing out, or answering what it should not): try later. */
export class EmbeddingUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddingUnavailableError';
  }
}

/** A text worth embedding has a letter or a digit; anything else has no direction. */
export const EMBEDDABLE = /[\p{L}\p{N}]/u;

const WORD = /[\p{L}\p{N}]+/gu;

/** FNV-1a over UTF-16 code units: stable across processes and engines. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Character trigrams of each word (`#word#` padded, so short words count too), hashed into `dims`
 * buckets with a hashed sign (the hashing trick), then scaled to unit length for cosine.
 */
export function trigramVector(text: string, dims: number): number[] | null {
  const vector = new Array<number>(dims).fill(0);
  for (const word of text.normalize('NFKC').toLowerCase().match(WORD) ?? []) {
    const padded = `#${word}#`;
    const chars = Array.from(padded);
    for (let i = 0; i + 3 <= chars.length; i += 1) {
      const hash = fnv1a(chars.slice(i, i + 3).join(''));
      const bucket = hash % dims;
      vector[bucket] = (vector[bucket] ?? 0) + (hash & 0x80000000 ? -1 : 1);
    }
  }
  const norm = Math.hypot(...vector);
  return norm === 0 ? null : vector.map((x) => x / norm);
}

/** The in-process embedder `hashed-trigrams-v1-<dims>`: computed here, never unavailable. */
export function hashedTrigramEmbedder(dims = 256): Embedder {
  const model = `hashed-trigrams-v1-${dims}`;
  return {
    dims,
    currentModel: () => Promise.resolve(model),
    embed: (texts) => Promise.resolve({ model, vectors: texts.map((text) => trigramVector(text, dims)) }),
  };
}
