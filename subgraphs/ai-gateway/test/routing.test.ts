import { DeploymentRegistry } from '../src/deployments';
import { generateRouted, retryDelay, type RetryPolicy } from '../src/domain/routedGeneration';
import { countedUsage } from '../src/domain/usage';
import type { ChatMessage } from '../src/providers/types';
import { parseCatalog, type ModelCatalog } from '../src/catalog';
import { DEFAULT_FAKE_TEXT, startFakeOpenAI, type FakeOpenAI } from './support/fakeOpenAI';
import { fakeCatalog } from './support/catalogs';

/** The real `openai` SDK against the fake server: retries, fallback, timeouts, circuit breaking. */

const messages: ChatMessage[] = [{ role: 'user', content: 'Say hello' }];
const policy: RetryPolicy = { attempts: 2, baseDelayMs: 1, maxDelayMs: 2, firstTokenTimeoutMs: 1_000, idleTimeoutMs: 1_000 };

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());

let clock = 0;
function registryFor(catalog: ModelCatalog, circuit = { failureThreshold: 5, cooldownMs: 1_000 }): DeploymentRegistry {
  return new DeploymentRegistry({ catalog, demoTokenIntervalMs: 0, circuit, now: () => clock, random: () => 0 });
}

async function run(
  registry: DeploymentRegistry,
  model: string,
  overrides: Partial<RetryPolicy> = {},
  signal = new AbortController().signal,
) {
  const deltas: string[] = [];
  const started: string[] = [];
  const result = await generateRouted({
    deployments: registry.attemptOrder(model),
    messages,
    signal,
    policy: { ...policy, ...overrides },
    onDelta: (d) => deltas.push(d),
    onFirstToken: (d) => started.push(d.id),
    sleep: async () => undefined,
  });
  return { result, deltas, started };
}

describe('generation over the real openai SDK', () => {
  it('streams a normal answer with the provider usage', async () => {
    fake.script('normal-1', { text: 'Hello there friend', usage: { prompt_tokens: 7, completion_tokens: 3 } });
    const registry = registryFor(fakeCatalog(fake.baseURL, { m: [{ model: 'normal-1' }] }));
    const { result, deltas, started } = await run(registry, 'm');
    expect(result).toMatchObject({
      status: 'complete',
      text: 'Hello there friend',
      finishReason: 'stop',
      usage: { promptTokens: 7, completionTokens: 3, totalTokens: 10 },
      usageSource: 'provider',
      deployment: 'fake/normal-1',
    });
    expect(deltas).toEqual(['Hello ', 'there ', 'friend']);
    expect(started).toEqual(['fake/normal-1']);
    const [request] = fake.requestsFor('normal-1');
    expect(request?.stream).toBe(true);
    expect(request?.body.stream_options).toEqual({ include_usage: true });
    expect(request?.headers.authorization).toBe('Bearer sk-test-key');
    expect(request?.headers['x-test']).toBe('yes');
    expect(registry.status().find((s) => s.deployment === 'fake/normal-1')?.firstTokenLatencyLastMs).not.toBeNull();
  });

  it('sends the key in apiKeyHeader instead of a bearer token when configured (Azure)', async () => {
    fake.script('azure-1', { text: 'ok' });
    const catalog = parseCatalog(
      {
        providers: [{ id: 'azure', kind: 'openai', baseURL: fake.baseURL, apiKeyEnv: 'AZ_KEY', apiKeyHeader: 'api-key' }],
        models: [{ id: 'm', displayName: 'M', contextWindow: 4096 }],
        routes: { m: [{ provider: 'azure', model: 'azure-1' }] },
      },
      { AZ_KEY: 'az-secret' },
    );
    const { result } = await run(registryFor(catalog), 'm');
    expect(result.status).toBe('complete');
    const [request] = fake.requestsFor('azure-1');
    expect(request?.headers['api-key']).toBe('az-secret');
    expect(request?.headers.authorization).toBeUndefined();
  });

  it('counts usage with the tokenizer when the provider gives none', async () => {
    fake.script('nousage-1', { text: 'Counted words here', omitUsage: true });
    const { result } = await run(registryFor(fakeCatalog(fake.baseURL, { m: [{ model: 'nousage-1' }] })), 'm');
    expect(result.usageSource).toBe('counted');
    expect(result.usage).toEqual(countedUsage(messages, 'Counted words here'));
    expect(result.usage.completionTokens).toBeGreaterThan(0);
  });

  it('times out a slow first token and falls back to the next deployment', async () => {
    fake.script('slow-1', { text: 'too late', firstChunkDelayMs: 1_500 });
    fake.script('backup-1', { text: 'from the backup' });
    const registry = registryFor(
      fakeCatalog(fake.baseURL, {
        m: [
          { model: 'slow-1', priority: 1 },
          { model: 'backup-1', priority: 2 },
        ],
      }),
    );
    const { result } = await run(registry, 'm', { attempts: 1, firstTokenTimeoutMs: 100 });
    expect(result).toMatchObject({ status: 'complete', text: 'from the backup', deployment: 'fake/backup-1' });
    const slow = registry.status().find((s) => s.deployment === 'fake/slow-1');
    expect(slow?.lastError).toMatch(/first token/);
    expect(slow?.consecutiveFailures).toBe(1);
  });

  it('ends FAILED with the partial text when the stream breaks after the first token, without fallback', async () => {
    fake.script('break-1', { text: 'one two three four five', failAfterChunks: 3 });
    fake.script('unused-1', { text: 'never' });
    const registry = registryFor(
      fakeCatalog(fake.baseURL, {
        m: [
          { model: 'break-1', priority: 1 },
          { model: 'unused-1', priority: 2 },
        ],
      }),
    );
    const { result } = await run(registry, 'm');
    expect(result).toMatchObject({ status: 'failed', text: 'one two three ', finishReason: 'error', deployment: 'fake/break-1' });
    expect(result.error).toBeDefined();
    expect(fake.requestsFor('break-1')).toHaveLength(1);
    expect(fake.requestsFor('unused-1')).toHaveLength(0);
  });

  it('ends FAILED with the partial text on an idle gap', async () => {
    fake.script('idle-1', { chunks: ['a ', 'b ', 'c'], chunkIntervalMs: 1_500 });
    const { result } = await run(registryFor(fakeCatalog(fake.baseURL, { m: [{ model: 'idle-1' }] })), 'm', { idleTimeoutMs: 100 });
    expect(result).toMatchObject({ status: 'failed', text: 'a ' });
    expect(result.error).toMatch(/chunk within 100 ms/);
  });

  it('retries a 429 on the same deployment, then succeeds', async () => {
    fake.script('flaky-1', [{ status: 429 }, { text: 'second time lucky' }]);
    const { result } = await run(registryFor(fakeCatalog(fake.baseURL, { m: [{ model: 'flaky-1' }] })), 'm');
    expect(result).toMatchObject({ status: 'complete', text: 'second time lucky' });
    expect(fake.requestsFor('flaky-1')).toHaveLength(2);
  });

  it('falls back to the next deployment after retrying 500s', async () => {
    fake.script('down-1', { status: 500 });
    fake.script('up-1', { text: 'fallback answer' });
    const registry = registryFor(
      fakeCatalog(fake.baseURL, {
        m: [
          { model: 'down-1', priority: 1 },
          { model: 'up-1', priority: 2, provider: 'fake2' },
        ],
      }),
    );
    const { result } = await run(registry, 'm');
    expect(result).toMatchObject({ status: 'complete', text: 'fallback answer', deployment: 'fake2/up-1' });
    expect(fake.requestsFor('down-1')).toHaveLength(2);
  });

  it('does not retry a 401 but goes to the next deployment; all failing ends FAILED', async () => {
    fake.script('denied-1', { status: 401 });
    fake.script('denied-2', { status: 404 });
    const { result } = await run(
      registryFor(
        fakeCatalog(fake.baseURL, {
          m: [
            { model: 'denied-1', priority: 1 },
            { model: 'denied-2', priority: 2 },
          ],
        }),
      ),
      'm',
    );
    expect(result).toMatchObject({ status: 'failed', text: '' });
    expect(result.error).toMatch(/denied-2.*404/);
    expect(fake.requestsFor('denied-1')).toHaveLength(1);
    expect(fake.requestsFor('denied-2')).toHaveLength(1);
  });

  it('opens the circuit after repeated failures, skips it, and half-opens after the cool-down', async () => {
    clock = 10_000;
    fake.script('breaker-1', { status: 500 });
    fake.script('breaker-backup', { text: 'backup' });
    const registry = registryFor(
      fakeCatalog(fake.baseURL, {
        m: [
          { model: 'breaker-1', priority: 1 },
          { model: 'breaker-backup', priority: 2 },
        ],
      }),
      { failureThreshold: 2, cooldownMs: 1_000 },
    );
    const state = () => registry.status().find((s) => s.deployment === 'fake/breaker-1');
    await run(registry, 'm', { attempts: 1 });
    expect(state()?.circuitState).toBe('CLOSED');
    await run(registry, 'm', { attempts: 1 });
    expect(state()).toMatchObject({ circuitState: 'OPEN', healthy: false, consecutiveFailures: 2 });
    expect(registry.isAvailable('m')).toBe(true);

    const skipped = await run(registry, 'm', { attempts: 1 });
    expect(skipped.result.deployment).toBe('fake/breaker-backup');
    expect(fake.requestsFor('breaker-1')).toHaveLength(2);

    clock += 1_000;
    expect(state()?.circuitState).toBe('HALF_OPEN');
    fake.script('breaker-1', { text: 'recovered' });
    const probe = await run(registry, 'm', { attempts: 1 });
    expect(probe.result).toMatchObject({ status: 'complete', text: 'recovered', deployment: 'fake/breaker-1' });
    expect(state()).toMatchObject({ circuitState: 'CLOSED', consecutiveFailures: 0 });
  });

  it('ends aborted with the partial text when the caller aborts mid-stream', async () => {
    fake.script('long-1', { chunks: ['first ', 'second ', 'third'], chunkIntervalMs: 1_000 });
    const registry = registryFor(fakeCatalog(fake.baseURL, { m: [{ model: 'long-1' }] }));
    const controller = new AbortController();
    const deltas: string[] = [];
    const result = await generateRouted({
      deployments: registry.attemptOrder('m'),
      messages,
      signal: controller.signal,
      policy: { ...policy, idleTimeoutMs: 10_000 },
      onDelta: (d) => {
        deltas.push(d);
        controller.abort('stop');
      },
    });
    expect(result).toMatchObject({ status: 'aborted', text: 'first ', finishReason: 'aborted' });
    expect(registry.status()[0]?.circuitState).toBe('CLOSED');
  });
});

describe('the fake server presets (for suites that only write a catalog)', () => {
  it('plays the preset named by the model', async () => {
    const registry = registryFor(
      fakeCatalog(fake.baseURL, {
        broken: [{ model: 'fake-mid-stream-failure' }],
        limited: [{ model: 'fake-429' }],
        plain: [{ model: 'fake-no-usage' }],
      }),
    );
    expect((await run(registry, 'broken')).result).toMatchObject({ status: 'failed', text: 'one two three ' });
    expect((await run(registry, 'limited')).result).toMatchObject({ status: 'failed', error: expect.stringContaining('429') });
    expect((await run(registry, 'plain')).result).toMatchObject({ status: 'complete', text: DEFAULT_FAKE_TEXT, usageSource: 'counted' });
  });
});

describe('routing order', () => {
  it('tries lower priorities first and spreads equal priorities by weight', () => {
    const catalog = fakeCatalog('http://127.0.0.1:1/v1', {
      m: [
        { model: 'a', priority: 2 },
        { model: 'b', priority: 1, weight: 1 },
        { model: 'c', priority: 1, weight: 3 },
      ],
    });
    const pick = (r: number) =>
      new DeploymentRegistry({ catalog, demoTokenIntervalMs: 0, circuit: { failureThreshold: 1, cooldownMs: 1 }, random: () => r })
        .attemptOrder('m')
        .map((d) => d.model);
    expect(pick(0)).toEqual(['b', 'c', 'a']);
    expect(pick(0.5)).toEqual(['c', 'b', 'a']);
  });

  it('jitters retry delays within the exponential bound', () => {
    expect(retryDelay(1, { baseDelayMs: 100, maxDelayMs: 1_000 }, () => 0.999)).toBe(99);
    expect(retryDelay(3, { baseDelayMs: 100, maxDelayMs: 1_000 }, () => 0.5)).toBe(200);
    expect(retryDelay(10, { baseDelayMs: 100, maxDelayMs: 1_000 }, () => 0.999)).toBe(999);
  });
});
