/** The re-embedding pass on the embedded engine: bounded steps, and the consumer's writes win over a step's. */
import { createLogger } from '@chatgraph/kit';
import { createEmbeddedSearchIndex, type SearchDocument } from '@chatgraph/kit/search';
import { searchIndexDefinition } from '../src/definition';
import { hashedTrigramEmbedder, type Embedder } from '../src/embedding';
import { Reembedding } from '../src/reembedding';

const logger = createLogger({ name: 'test', level: 'silent' });
const doc = (id: string, content: string, model: string): SearchDocument => ({
  id,
  ownerId: 'owner-1',
  kind: 'message',
  text: { content },
  keywords: { conversationId: 'c1', embeddingModel: model },
  createdAt: new Date('2026-01-01T00:00:00Z'),
});

describe('Reembedding', () => {
  it('embeds documents of another model (or pending) in steps of at most the batch size, then finds nothing', async () => {
    const embedder = hashedTrigramEmbedder(32);
    const index = createEmbeddedSearchIndex({ definition: searchIndexDefinition('reembed-test', 32) });
    await index.start();
    await index.upsert([doc('a', 'alpha', 'old-model'), doc('b', 'beta', '(pending)'), doc('c', 'gamma', 'old-model')]);
    await index.upsert([{ ...doc('d', 'delta', 'hashed-trigrams-v1-32'), vector: (await embedder.embed(['delta'])).vectors[0] ?? [] }]);
    const pass = new Reembedding({ index, embedder, logger, batchSize: 2, intervalMs: 1000 });
    expect(await pass.step()).toEqual({ scanned: 2, written: 2 });
    expect(await pass.step()).toEqual({ scanned: 1, written: 1 });
    expect(await pass.step()).toEqual({ scanned: 0, written: 0 });
    expect(await index.scanNotMatching('embeddingModel', ['hashed-trigrams-v1-32'], null, 10)).toEqual([]);
    const semantic = await index.search({
      ownerId: 'owner-1',
      vector: (await embedder.embed(['gamma'])).vectors[0] ?? [],
      vectorFilter: { embeddingModel: 'hashed-trigrams-v1-32' },
      mode: 'semantic',
      size: 1,
    });
    expect(semantic.hits.map((hit) => hit.id)).toEqual(['c']);
    await index.stop();
  });

  it('re-embeds a tagged conversation from its title alone, as the consumer embeds it, keeping its tags', async () => {
    const embedder = hashedTrigramEmbedder(32);
    const index = createEmbeddedSearchIndex({ definition: searchIndexDefinition('reembed-tags', 32) });
    await index.start();
    await index.upsert([
      {
        id: 'conv-1',
        ownerId: 'owner-1',
        kind: 'conversation',
        text: { title: 'garden plans', tags: 'urgent work' },
        keywords: { conversationId: 'conv-1', embeddingModel: '(pending)', tags: ['urgent', 'work'] },
        createdAt: new Date('2026-01-01T00:00:00Z'),
      },
    ]);
    const pass = new Reembedding({ index, embedder, logger, batchSize: 10, intervalMs: 1000 });
    expect(await pass.step()).toEqual({ scanned: 1, written: 1 });
    const [stored] = await index.get('owner-1', ['conv-1']);
    expect(stored?.vector).toEqual((await embedder.embed(['garden plans'])).vectors[0]);
    expect(stored?.keywords).toEqual({ conversationId: 'conv-1', embeddingModel: 'hashed-trigrams-v1-32', tags: ['urgent', 'work'] });
    expect(stored?.text).toEqual({ title: 'garden plans', tags: 'urgent work' });
    await index.stop();
  });

  it('runs in the background once started: pending documents get embedded, a failing embedder pauses it, stop() ends it', async () => {
    const local = hashedTrigramEmbedder(32);
    const index = createEmbeddedSearchIndex({ definition: searchIndexDefinition('reembed-loop', 32) });
    await index.start();
    await index.upsert([doc('p1', 'first', '(pending)'), doc('p2', 'second', '(pending)'), doc('p3', 'third', '(pending)')]);
    let failures = 2;
    const flaky: Embedder = {
      dims: 32,
      currentModel: () => local.currentModel(),
      embed: (texts) => (failures-- > 0 ? Promise.reject(new Error('ai-gateway down')) : local.embed(texts)),
    };
    const pass = new Reembedding({ index, embedder: flaky, logger, batchSize: 1, intervalMs: 5 });
    pass.start();
    const pending = () => index.scanNotMatching('embeddingModel', ['hashed-trigrams-v1-32'], null, 10);
    for (let i = 0; i < 400 && (await pending()).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await pass.stop();
    expect(await pending()).toEqual([]);
    expect(failures).toBeLessThan(0);
    await pass.stop();
    await index.stop();
  });

  it('leaves a document alone when the consumer wrote it during the step (an edit or a delete is never undone)', async () => {
    const local = hashedTrigramEmbedder(32);
    const index = createEmbeddedSearchIndex({ definition: searchIndexDefinition('reembed-race', 32) });
    await index.start();
    await index.upsert([doc('edited', 'old text', 'old-model'), doc('deleted', 'doomed', 'old-model'), doc('kept', 'kept', 'old-model')]);
    const holder: { pass?: Reembedding } = {};
    // The consumer writes while the step waits for its embeddings (as it would while ai-gateway answers).
    const embedder: Embedder = {
      dims: 32,
      currentModel: () => local.currentModel(),
      async embed(texts) {
        const consumerIndex = holder.pass?.track(index);
        await consumerIndex?.upsert([doc('edited', 'new text', 'hashed-trigrams-v1-32')]);
        await consumerIndex?.delete(['deleted']);
        return local.embed(texts);
      },
    };
    const pass = new Reembedding({ index, embedder, logger, batchSize: 10, intervalMs: 1000 });
    holder.pass = pass;
    expect(await pass.step()).toEqual({ scanned: 3, written: 1 });
    const all = await index.scanNotMatching('embeddingModel', [], null, 10);
    expect(all.map((d) => [d.id, d.text.content])).toEqual([
      ['edited', 'new text'],
      ['kept', 'kept'],
    ]);
    await index.stop();
  });
});
