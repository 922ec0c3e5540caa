import { OTHER_OPERATIONS, ServiceMetrics } from '@chatgraph/kit';
import { loadRouterConfig, routerDepsFromConfig } from '../src';
import { RouterMetrics } from '../src/metrics';
import { silentLogger } from './support/logs';

/** The distinct `operation` label values in a scrape. */
function operationLabels(text: string): Set<string> {
  return new Set([...text.matchAll(/operation="([^"]*)"/g)].map((m) => m[1] ?? ''));
}

/** The value of `graphql_requests_total` for one operation label. */
function requestsOf(text: string, operation: string): number {
  const line = text.split('\n').find((l) => l.startsWith('graphql_requests_total{') && l.includes(`operation="${operation}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('router metrics: operation labels are bounded', () => {
  it('20,000 distinct operation names keep their own label up to the cap, then share __other__', async () => {
    const service = new ServiceMetrics('router', { maxOperations: 500 });
    const metrics = new RouterMetrics(service);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 20_000; i++) metrics.request(`Op${i}`, started);
    metrics.request(undefined, started);
    metrics.request('Op1', started);
    const text = await service.registry.metrics();
    expect(operationLabels(text).size).toBe(500 + 2);
    expect(requestsOf(text, OTHER_OPERATIONS)).toBe(19_500);
    expect(requestsOf(text, 'anonymous')).toBe(1);
    // A name seen before the cap keeps its label after it.
    expect(requestsOf(text, 'Op1')).toBe(2);
    expect(requestsOf(text, 'Op600')).toBe(0);
  });

  it('cuts long names, so a cap of names is a cap of bytes too', async () => {
    const service = new ServiceMetrics('router', { maxOperations: 2 });
    const metrics = new RouterMetrics(service);
    metrics.request('x'.repeat(10_000), process.hrtime.bigint());
    expect([...operationLabels(await service.registry.metrics())]).toEqual(['x'.repeat(64)]);
  });

  it('reads the cap from METRICS_MAX_OPERATIONS (default 200)', () => {
    const secret = 'x'.repeat(32);
    expect(routerDepsFromConfig(loadRouterConfig({ INTERNAL_SIGNING_SECRET: secret }), silentLogger()).metricsMaxOperations).toBe(200);
    expect(
      routerDepsFromConfig(loadRouterConfig({ INTERNAL_SIGNING_SECRET: secret, METRICS_MAX_OPERATIONS: '7' }), silentLogger())
        .metricsMaxOperations,
    ).toBe(7);
  });
});
