import { newId } from '@chatgraph/kit';
import { aiCatalogV1, MODEL_CATALOG_ID, type AiCatalogEvent } from '@chatgraph/schema';
import { eventually, startAiGateway, type Harness } from './harness';

/** ai-gateway publishes its whole model catalog as `ai.catalog.v1` at start, through its outbox. */
describe('the model catalog is published at start', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startAiGateway();
  }, 30_000);
  afterAll(() => h?.dispose(), 30_000);

  it('publishes catalog.published under the fixed key with every model, its context window and capabilities', async () => {
    const seen: Array<{ key: string; event: AiCatalogEvent }> = [];
    await h.bus.subscribe({
      groupId: `test-${newId()}`,
      topics: [aiCatalogV1.topic],
      handler: async (d) => void seen.push({ key: d.key, event: aiCatalogV1.validate(d.event) }),
    });
    await eventually(
      async () => seen.length,
      (n) => n > 0,
    );
    expect(seen).toHaveLength(1);
    const [first] = seen;
    expect(first?.key).toBe(MODEL_CATALOG_ID);
    expect(first?.event.type).toBe('catalog.published');
    const models = first?.event.payload.models ?? [];
    expect(models.map((m) => m.id).sort()).toEqual(['gated', 'local-demo', 'local-demo-embedding']);
    expect(models.find((m) => m.id === 'gated')).toEqual({ id: 'gated', contextWindow: 4096, capabilities: ['chat'] });
    expect(models.find((m) => m.id === 'local-demo-embedding')?.capabilities).toEqual(['embeddings']);
    // Prices travel for rate-limit's debits; an unpriced model (gated, above) has none.
    expect(models.find((m) => m.id === 'local-demo')).toEqual({
      id: 'local-demo',
      contextWindow: 8192,
      capabilities: ['chat'],
      inputPricePerMTok: 0,
      outputPricePerMTok: 0,
    });
  });
});
