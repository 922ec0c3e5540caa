import { hashedTrigramEmbedder } from '../src/embedding';

describe('hashed-trigram embedder', () => {
  const embedder = hashedTrigramEmbedder(64);
  const cosine = (a: number[], b: number[]): number => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);
  const one = async (text: string): Promise<number[] | null> => (await embedder.embed([text])).vectors[0] ?? null;

  it('is deterministic, unit length, and names its model and size', async () => {
    const a = await one('Sourdough bread');
    expect(a).toEqual(await one('Sourdough bread'));
    expect(a).toHaveLength(64);
    expect(Math.hypot(...(a ?? []))).toBeCloseTo(1, 10);
    expect((await embedder.embed(['x'])).model).toBe('hashed-trigrams-v1-64');
    expect(await embedder.currentModel()).toBe('hashed-trigrams-v1-64');
  });

  it('puts near spellings closer than unrelated words, and has nothing to embed without a letter or digit', async () => {
    const word = (await one('photosynthesis')) ?? [];
    expect(cosine(word, (await one('photosynthesys')) ?? [])).toBeGreaterThan(cosine(word, (await one('knitting')) ?? []));
    expect(await one('"*():~ ')).toBeNull();
    expect(await one('東京')).not.toBeNull();
  });
});
