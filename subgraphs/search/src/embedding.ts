/**
 * Embeddings of the text search indexes and of queries. No embedding model runs offline here
 * (ai-gateway's embeddings route is not wired to search yet), so the default embedder is an
 * honest deterministic one named for what it is: hashed character trigrams. It captures spelling
 * closeness (typos, `bake`/`baking`), not meaning; SEMANTIC mode with it is fuzzy lexical search.
 */
export interface Embedder {
  /** Recorded with every document, so a change of model can be found and re-embedded. */
  readonly model: string;
  readonly dims: number;
  /** One vector per text; null for a text with nothing to embed (no letter or digit). */
  embed(text: string): number[] | null;
}

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
export function hashedTrigramEmbedder(dims = 256): Embedder {
  return {
    model: `hashed-trigrams-v1-${dims}`,
    dims,
    embed(text) {
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
    },
  };
}
