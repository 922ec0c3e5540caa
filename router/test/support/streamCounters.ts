import type { Router } from '../../src';

/** A subscription gauge of the router's `/metrics`, read as Prometheus scrapes it. */
export async function gauge(router: Router, name: string): Promise<number> {
  const metric = router.metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

/** Every count an open subscription holds in the router: all zero once every client has gone. */
export async function heldByRouter(
  router: Router,
): Promise<{ subscriptions: number; upstreams: number; connections: number; queuedBytes: number }> {
  return {
    subscriptions: router.subscriptions.subscriptions,
    upstreams: router.subscriptions.upstreamSubscriptions,
    connections: await gauge(router, 'graphql_subscription_connections_active'),
    queuedBytes: await gauge(router, 'graphql_subscription_queued_bytes'),
  };
}
