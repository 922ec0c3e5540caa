/** The ai-gateway embeddings adapter against a fake of the signed route: batching, retries, time bounds, refusals. */
import { createLogger } from '@chatgraph/kit';
import { EmbeddingUnavailableError } from '../src/embedding';
import { gatewayEmbedder, type GatewayEmbedderOptions } from '../src/gatewayEmbedder';
import { SECRET } from './harness';
import { conceptVector } from './support/conceptEmbedding';
import { startFakeGateway, type FakeGateway } from './support/fakeGateway';

let gateway: FakeGateway;
beforeEach(async () => {
  gateway = await startFakeGateway({ secret: SECRET, model: 'fake-concepts-a', dims: 16 });
});
afterEach(() => gateway.close());

const embedder = (overrides: Partial<GatewayEmbedderOptions> = {}) =>
  gatewayEmbedder({
    url: gateway.url,
    signingSecret: SECRET,
    dims: 16,
    timeoutMs: 2_000,
    attempts: 3,
    backoffMs: 1,
    logger: createLogger({ name: 'test', level: 'silent' }),
    ...overrides,
  });

describe('gatewayEmbedder', () => {
  it('sends batches of at most batchSize, keeps the order, and sends no text without a letter or digit', async () => {
    const texts = Array.from({ length: 300 }, (_, i) => (i === 7 ? '?!' : `car number ${i}`));
    const result = await embedder({ batchSize: 128 }).embed(texts);
    expect(gateway.requests.map((r) => r.input.length)).toEqual([128, 128, 43]);
    expect(result.model).toBe('fake-concepts-a');
    expect(result.vectors).toHaveLength(300);
    expect(result.vectors[7]).toBeNull();
    expect(result.vectors[299]).toEqual(conceptVector('car number 299', 16, 'fake-concepts-a'));
    expect(gateway.requests.every((r) => r.principal?.kind === 'service')).toBe(true);
  });

  it('cuts a text longer than the route takes to its first 16,000 characters', async () => {
    await embedder().embed(['car '.repeat(5_000)]);
    expect(gateway.requests[0]?.input[0]).toHaveLength(16_000);
  });

  it('retries 5xx and 429 with backoff, then answers', async () => {
    gateway.failNext(503, 429);
    const result = await embedder().embed(['car']);
    expect(gateway.requests.map((r) => r.status)).toEqual([503, 429, 200]);
    expect(result.vectors[0]).toEqual(conceptVector('car', 16, 'fake-concepts-a'));
  });

  it('gives up after `attempts` tries with EmbeddingUnavailableError', async () => {
    gateway.goDown(500);
    await expect(embedder({ attempts: 2 }).embed(['car'])).rejects.toThrow(EmbeddingUnavailableError);
    expect(gateway.requests.map((r) => r.status)).toEqual([500, 500]);
  });

  it('bounds each try in time: a silent ai-gateway is tried again, then unavailable', async () => {
    gateway.goDown('hang');
    await expect(embedder({ attempts: 2, timeoutMs: 100 }).embed(['car'])).rejects.toThrow(EmbeddingUnavailableError);
    expect(gateway.requests).toHaveLength(2);
  });

  it('after ai-gateway failed every try, fails at once for the cooldown, then asks again', async () => {
    let clock = 1_000;
    const cooling = embedder({ attempts: 2, timeoutMs: 100, cooldownMs: 5_000, now: () => clock });
    gateway.goDown('hang');
    await expect(cooling.embed(['car'])).rejects.toThrow(EmbeddingUnavailableError);
    expect(gateway.requests).toHaveLength(2);
    clock += 4_999;
    await expect(cooling.embed(['car'])).rejects.toThrow(/not asked again yet/);
    expect(gateway.requests).toHaveLength(2);
    gateway.recover();
    clock += 1;
    expect((await cooling.embed(['car'])).vectors[0]).toEqual(conceptVector('car', 16, 'fake-concepts-a'));
    expect(gateway.requests).toHaveLength(3);
  });

  it('does not retry a refusal (400, a wrong signature) and refuses vectors of other dimensions', async () => {
    gateway.failNext(400);
    await expect(embedder().embed(['car'])).rejects.toThrow(/400/);
    expect(gateway.requests).toHaveLength(1);
    await expect(embedder({ signingSecret: 'another-secret-0123456789abcdef0123456' }).embed(['car'])).rejects.toThrow(/401/);
    expect(gateway.requests).toHaveLength(2);
    await expect(embedder({ dims: 8 }).embed(['car'])).rejects.toThrow(/16 dimensions, the index has 8/);
    expect(gateway.requests).toHaveLength(3);
  });

  it('asks for the configured model, or learns the catalog default from the answers', async () => {
    expect(await embedder({ model: 'fake-concepts-b' }).currentModel()).toBe('fake-concepts-b');
    expect(gateway.requests).toHaveLength(0);
    const learning = embedder();
    expect(await learning.currentModel()).toBe('fake-concepts-a');
    gateway.model = 'fake-concepts-c';
    expect((await learning.embed(['car'])).model).toBe('fake-concepts-c');
    const pinned = await embedder({ model: 'fake-concepts-b' }).embed(['car']);
    expect(pinned.model).toBe('fake-concepts-b');
    expect(gateway.requests.at(-1)?.model).toBe('fake-concepts-b');
  });
});
