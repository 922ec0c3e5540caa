import { hashedTrigramEmbedder } from '../src/embedding';

describe('hashed-trigram embedder', () => {
  const embedder = hashedTrigramEmbedder(64);
  const cosine = (a: number[], b: number[]): number => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);

  it('is deterministic, unit length, and names its model and size', () => {
    const a = embedder.embed('Sourdough bread');
    expect(a).toEqual(embedder.embed('Sourdough bread'));
    expect(a).toHaveLength(64);
    expect(Math.hypot(...(a ?? []))).toBeCloseTo(1, 10);
    expect(embedder.model).toBe('hashed-trigrams-v1-64');
  });

  it('puts near spellings closer than unrelated words, and has nothing to embed without a letter or digit', () => {
    const word = embedder.embed('photosynthesis') ?? [];
    expect(cosine(word, embedder.embed('photosynthesys') ?? [])).toBeGreaterThan(cosine(word, embedder.embed('knitting') ?? []));
    expect(embedder.embed('"*():~ ')).toBeNull();
    expect(embedder.embed('東京')).not.toBeNull();
  });
});
