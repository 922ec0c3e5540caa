import type { ServiceMetrics } from '@chatgraph/kit';

/** What the subscription metrics read when Prometheus scrapes. */
export interface SubscriptionFigures {
  /** Client subscriptions open now. */
  clientSubscriptions(): number;
  /** Upstream (router -> subgraph) subscriptions open now. */
  upstreamSubscriptions(): number;
  /** graphql-ws connections and HTTP subscription streams from clients open now. */
  connections(): number;
  /** Bytes of events waiting in every client's queue now (bounded by SUBSCRIPTION_QUEUE_BUDGET_BYTES). */
  queuedBytes(): number;
}

type RegisteredMetric = Parameters<ServiceMetrics['registry']['registerMetric']>[0];

/**
 * A metric computed at scrape time. The router package does not depend on prom-client itself
 * (the kit owns it), so instead of its Gauge and Counter classes the registry is given objects
 * with the part of the metric interface a registry reads (`name`, `get()`, `reset()`).
 */
function scraped(name: string, help: string, type: 'gauge' | 'counter', read: () => number): RegisteredMetric {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: [{ value: read(), labels: {} }] }),
    reset: () => undefined,
  };
  return metric as unknown as RegisteredMetric;
}

/**
 * The subscription metrics on the router's `/metrics`: open client and upstream subscriptions
 * and connections (read live, so they cannot drift), events delivered and slow-consumer closes.
 */
export class SubscriptionMetrics {
  private delivered = 0;
  private slow = 0;

  constructor(metrics: ServiceMetrics, figures: SubscriptionFigures) {
    const { registry } = metrics;
    registry.registerMetric(
      scraped('graphql_subscriptions_active', 'Client subscriptions open now', 'gauge', () => figures.clientSubscriptions()),
    );
    registry.registerMetric(
      scraped('graphql_subscription_upstreams_active', 'Router-to-subgraph subscriptions open now (shared ones count once)', 'gauge', () =>
        figures.upstreamSubscriptions(),
      ),
    );
    registry.registerMetric(
      scraped(
        'graphql_subscription_connections_active',
        'Client graphql-ws connections and HTTP subscription streams (SSE, multipart) open now',
        'gauge',
        () => figures.connections(),
      ),
    );
    registry.registerMetric(
      scraped('graphql_subscription_queued_bytes', 'Bytes of events waiting to be sent to clients', 'gauge', () => figures.queuedBytes()),
    );
    registry.registerMetric(
      scraped('graphql_subscription_events_delivered_total', 'Subscription events sent to clients', 'counter', () => this.delivered),
    );
    registry.registerMetric(
      scraped('graphql_subscription_slow_consumer_total', 'Client subscriptions ended with SLOW_CONSUMER', 'counter', () => this.slow),
    );
  }

  /** One event sent to a client. */
  eventDelivered(): void {
    this.delivered++;
  }

  /** One subscription ended because its client read too slowly. */
  slowConsumer(): void {
    this.slow++;
  }

  /** Totals, for tests and logs. */
  get totals(): { delivered: number; slowConsumers: number } {
    return { delivered: this.delivered, slowConsumers: this.slow };
  }
}
