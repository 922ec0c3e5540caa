import type { Target } from '@chatgraph/test-support';
import { PENDING_EMBEDDING } from '../../src/embedForIndexing';
import { startFakeGateway, type FakeGateway } from '../support/fakeGateway';
import { aMessage, codeOf, conversationEvent, eventually, SECRET, userMessage, userPrincipal, type Harness } from '../harness';

interface Page {
  edges: Array<{ node: { kind: string; message: { id: string } | null } }>;
}

const SEARCH = `query($q: String!, $mode: SearchMode) {
  search(query: $q, mode: $mode) { edges { node { kind message { id } } } }
}`;

/** Dimensions of the fake gateway's model: the index (Elasticsearch's mapping too) is built for them. */
const DIMS = 24;

/** search configured to embed through ai-gateway (the fake route at `gateway.url`); the pass is driven by the tests. */
export function gatewayEnv(gateway: FakeGateway): Record<string, string> {
  return {
    SEARCH_EMBEDDINGS: 'ai-gateway',
    AI_GATEWAY_URL: gateway.url,
    SEARCH_EMBEDDING_DIMENSIONS: String(DIMS),
    SEARCH_EMBEDDING_ATTEMPTS: '2',
    SEARCH_EMBEDDING_BACKOFF_MS: '1',
    // The tests switch ai-gateway back up and expect the next call to reach it.
    SEARCH_EMBEDDING_COOLDOWN_MS: '0',
    SEARCH_REEMBED_BATCH: '0',
  };
}

/**
 * Semantic search with embeddings from ai-gateway's route: synonyms found by meaning, the model
 * recorded per document, ai-gateway down (documents kept and marked, queries refused with a
 * code), and a model change (documents re-embedded in bounded steps, vectors of different models
 * never compared).
 */
export function describeGatewayEmbeddings(name: string, target: Target<Harness>): void {
  describe(name, () => {
    let h: Harness;
    let gateway: FakeGateway;
    beforeAll(async () => {
      gateway = await startFakeGateway({ secret: SECRET, model: 'fake-concepts-a', dims: DIMS });
      h = await target.start(gatewayEnv(gateway));
    }, target.hookTimeout);
    afterAll(async () => {
      await h.dispose();
      await gateway.close();
    });
    afterEach(() => {
      gateway.recover();
      gateway.model = 'fake-concepts-a';
    });

    async function messageIds(userId: string, q: string, mode: string): Promise<string[]> {
      const res = await h.gql<{ search: Page }>(userPrincipal(userId), SEARCH, { q, mode });
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      return (res.data?.search.edges ?? []).flatMap((e) => (e.node.message ? [e.node.message.id] : []));
    }
    /** Polls until KEYWORD finds `id` for `q` (asynchronous indexing). */
    async function indexed(userId: string, q: string, id: string): Promise<void> {
      const found = await eventually(
        () => messageIds(userId, q, 'KEYWORD'),
        (ids) => ids.includes(id),
        h.tries,
      );
      expect(found).toContain(id);
    }
    /** The embedding model recorded with each of `ids`, read back from the index. */
    async function modelsOf(ids: string[]): Promise<Record<string, unknown>> {
      await h.search.index.refresh();
      const docs = await h.search.index.scanNotMatching('embeddingModel', [], null, 1000);
      return Object.fromEntries(ids.map((id) => [id, docs.find((doc) => doc.id === id)?.keywords?.embeddingModel]));
    }

    it('finds a synonym by meaning (automobile -> car), records the model per document, and signs its calls as search', async () => {
      const owner = `syn-${Date.now()}`;
      const car = aMessage(owner);
      const couch = aMessage(owner);
      await userMessage(h, car, 'My car broke down on the highway');
      await userMessage(h, couch, 'We bought a new sofa yesterday');
      await indexed(owner, 'highway', car.messageId);
      await indexed(owner, 'sofa', couch.messageId);
      await h.search.index.refresh();

      // Neither query shares a word (or a trigram) with its document.
      expect((await messageIds(owner, 'automobile', 'SEMANTIC'))[0]).toBe(car.messageId);
      expect((await messageIds(owner, 'settee', 'SEMANTIC'))[0]).toBe(couch.messageId);
      expect((await messageIds(owner, 'automobile', 'HYBRID'))[0]).toBe(car.messageId);
      expect(await messageIds(owner, 'automobile', 'KEYWORD')).toEqual([]);
      expect(await modelsOf([car.messageId, couch.messageId])).toEqual({
        [car.messageId]: 'fake-concepts-a',
        [couch.messageId]: 'fake-concepts-a',
      });
      expect(gateway.requests.length).toBeGreaterThan(0);
      expect(gateway.requests.every((r) => r.status !== 401 && r.principal?.kind === 'service')).toBe(true);
    });

    it('ai-gateway down: the message is kept by its words and marked, SEMANTIC and HYBRID are UNAVAILABLE; back up, the pass embeds it', async () => {
      const owner = `down-${Date.now()}`;
      const m = aMessage(owner);
      gateway.goDown(503);
      const before = gateway.requests.length;
      await userMessage(h, m, 'The automobile needs new tyres');
      await indexed(owner, 'tyres', m.messageId);
      // Each failed embedding was tried SEARCH_EMBEDDING_ATTEMPTS (2) times.
      expect(gateway.requests.length - before).toBeGreaterThanOrEqual(2);
      expect(await modelsOf([m.messageId])).toEqual({ [m.messageId]: PENDING_EMBEDDING });

      for (const mode of ['SEMANTIC', 'HYBRID']) {
        const res = await h.gql(userPrincipal(owner), SEARCH, { q: 'car', mode });
        expect(codeOf(res)).toBe('UNAVAILABLE');
        expect(res.errors?.[0]?.extensions).toMatchObject({ reason: 'EMBEDDINGS_UNAVAILABLE', retryWith: 'KEYWORD' });
      }
      // The pass cannot embed either, and writes nothing.
      await expect(h.search.reembedding.step(5)).rejects.toThrow(/503/);

      gateway.recover();
      await h.search.index.refresh();
      expect(await h.search.reembedding.drain(5)).toBeGreaterThanOrEqual(1);
      await h.search.index.refresh();
      expect(await modelsOf([m.messageId])).toEqual({ [m.messageId]: 'fake-concepts-a' });
      expect(await messageIds(owner, 'car', 'SEMANTIC')).toEqual([m.messageId]);
    });

    it('ai-gateway down: a conversation is kept by the words of its title, marked, and tagged; back up, the pass embeds its title and keeps its tags', async () => {
      const owner = `down-conv-${Date.now()}`;
      const subject = { conversationId: aMessage(owner).conversationId, ownerId: owner };
      gateway.goDown(503);
      await conversationEvent(h, subject, { created: 'Car trouble on the highway' });
      // A tag change embeds nothing: it reads the pending document and writes it back tagged.
      await conversationEvent(h, subject, { updated: { tags: ['garage'] } });
      const stored = async () => (await h.search.index.get(owner, [subject.conversationId]))[0];
      const tagged = await eventually(stored, (found) => found?.keywords?.tags !== undefined, h.tries);
      expect(tagged?.keywords).toEqual({ conversationId: subject.conversationId, embeddingModel: PENDING_EMBEDDING, tags: ['garage'] });
      expect(tagged?.vector).toBeUndefined();

      gateway.recover();
      await h.search.index.refresh();
      expect(await h.search.reembedding.drain(5)).toBeGreaterThanOrEqual(1);
      const embedded = await stored();
      expect(embedded?.keywords).toEqual({ conversationId: subject.conversationId, embeddingModel: 'fake-concepts-a', tags: ['garage'] });
      expect(embedded?.text).toEqual({ title: 'Car trouble on the highway', tags: 'garage' });
      expect(embedded?.vector).toHaveLength(DIMS);
    });

    it('a model change: documents are re-embedded in bounded steps, and queries never compare vectors of two models', async () => {
      const owner = `switch-${Date.now()}`;
      const messages = [aMessage(owner), aMessage(owner), aMessage(owner), aMessage(owner), aMessage(owner)];
      const texts = ['my car is red', 'the doctor called', 'a kitten on the sofa', 'car insurance quote', 'physician appointment'];
      for (const [i, m] of messages.entries()) await userMessage(h, m, texts[i] ?? '');
      await indexed(owner, 'physician', messages[4]?.messageId ?? '');
      await h.search.index.refresh();
      const ids = messages.map((m) => m.messageId);
      // Everything else in the index is up to date first (earlier tests' documents).
      await h.search.reembedding.drain(100);
      await h.search.index.refresh();

      gateway.model = 'fake-concepts-b';
      // Queries now embed with model b; every document still has a's vector: none is compared.
      expect(await messageIds(owner, 'automobile', 'SEMANTIC')).toEqual([]);
      // HYBRID still finds by words (its keyword list is not restricted to a model).
      expect(await messageIds(owner, 'physician', 'HYBRID')).toEqual([messages[4]?.messageId]);

      const steps: number[] = [];
      for (;;) {
        await h.search.index.refresh();
        const step = await h.search.reembedding.step(2);
        if (step.scanned === 0) break;
        steps.push(step.scanned);
      }
      // Bounded: at most 2 per step (this owner's 5, and other tests' documents of model a).
      expect(steps.every((n) => n <= 2)).toBe(true);
      expect(steps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(5);
      await h.search.index.refresh();
      expect(Object.values(await modelsOf(ids))).toEqual(ids.map(() => 'fake-concepts-b'));
      const found = await messageIds(owner, 'automobile', 'SEMANTIC');
      expect(found.slice(0, 2).sort()).toEqual([messages[0]?.messageId, messages[3]?.messageId].sort());
    });
  });
}
