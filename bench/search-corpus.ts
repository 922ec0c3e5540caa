/**
 * A synthetic chat corpus for the search benchmarks: deterministic (seeded), chat-like sentences
 * drawn from a Zipf-distributed vocabulary, so that posting lists have realistic lengths (a few
 * very common words, a long tail of rare ones). Not for relevance: bench/search-eval/ is.
 */
import type { SearchDocument } from '@chatgraph/kit/search';
import { DOC_KINDS, trigramVector } from '@chatgraph/search';

/** A small, fast, seeded PRNG (mulberry32): the same corpus on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'tas', 'vor', 'pel', 'dun', 'sia', 'gor', 'bel', 'nix', 'ter', 'qua', 'fos', 'jun'];
const FUNCTION_WORDS = ['the', 'a', 'to', 'and', 'of', 'in', 'is', 'it', 'for', 'on', 'with', 'that', 'this', 'can', 'you', 'how'];

/** `size` distinct pseudo-words: common English function words first, then invented ones. */
function vocabulary(size: number): string[] {
  const words = [...FUNCTION_WORDS];
  for (let i = 0; words.length < size; i++) {
    let n = i;
    let word = '';
    do {
      word += SYLLABLES[n % SYLLABLES.length];
      n = Math.floor(n / SYLLABLES.length);
    } while (n > 0);
    if (!words.includes(word)) words.push(word);
  }
  return words;
}

/** Draws word ranks with a Zipf(1) law by inverting its cumulative distribution. */
function zipfSampler(size: number, random: () => number): () => number {
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 1; rank <= size; rank++) cumulative.push((total += 1 / rank));
  return () => {
    const target = random() * total;
    let low = 0;
    let high = size - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((cumulative[mid] ?? 0) < target) low = mid + 1;
      else high = mid;
    }
    return low;
  };
}

export interface Corpus {
  /** One message text, 8 to 60 words. */
  text(): string;
  /** A 1–3 word query from the same vocabulary (skewed to mid-frequency words, as real queries are). */
  query(): string;
}

export function syntheticCorpus(seed = 42, vocabularySize = 20_000): Corpus {
  const random = seededRandom(seed);
  const words = vocabulary(vocabularySize);
  const rank = zipfSampler(words.length, random);
  return {
    text() {
      const length = 8 + Math.floor(random() * 52);
      return Array.from({ length }, () => words[rank()]).join(' ');
    },
    query() {
      const length = 1 + Math.floor(random() * 3);
      return Array.from({ length }, () => words[FUNCTION_WORDS.length + Math.floor(random() * 2000)]).join(' ');
    },
  };
}

/** The embedder the benchmarks index with: search's offline default, computed synchronously. */
export const TRIGRAMS = { model: 'hashed-trigrams-v1-256', dims: 256 } as const;

/** A message document as search's indexing consumer writes it (embedded with `TRIGRAMS`). */
export function messageDocument(
  embedder: typeof TRIGRAMS,
  id: string,
  ownerId: string,
  conversationId: string,
  content: string,
): SearchDocument {
  const vector = trigramVector(content, embedder.dims);
  return {
    id,
    ownerId,
    kind: DOC_KINDS.message,
    text: { content },
    keywords: { conversationId, role: 'USER', embeddingModel: embedder.model },
    ...(vector ? { vector } : {}),
    createdAt: new Date(),
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
