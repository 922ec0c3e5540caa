import type { ServiceMetrics } from '@chatgraph/kit';

type RegisteredMetric = Parameters<ServiceMetrics['registry']['registerMetric']>[0];

/**
 * A labelled counter kept in a Map and read at scrape time: the router package does not depend on
 * prom-client (the kit owns it; see subscriptions/metrics.ts). Label values are policy names
 * (ADMIN-defined, few) and fixed words, so the series stay bounded.
 */
class LabelledCounter {
  private readonly values = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(registry: ServiceMetrics['registry'], name: string, help: string) {
    const metric = {
      name,
      help,
      type: 'counter',
      aggregator: 'sum',
      get: async () => ({ name, help, type: 'counter', aggregator: 'sum', values: [...this.values.values()].map((v) => ({ value: v.value, labels: v.labels })) }),
      reset: () => this.values.clear(),
    };
    registry.registerMetric(metric as unknown as RegisteredMetric);
  }

  inc(labels: Record<string, string>): void {
    const key = Object.values(labels).join('\u0000');
    const entry = this.values.get(key);
    if (entry) entry.value++;
    else this.values.set(key, { labels, value: 1 });
  }
}

/** The limiter's metrics on the router's registry. */
export class RateLimitMetrics {
  /** `router_rate_limit_decisions_total{policy,outcome}`: allowed, refused, or error (the kv could not decide). */
  readonly decisions: LabelledCounter;
  /** `router_rate_limit_kv_errors_total{policy,fail_mode}`: what was done when the kv could not decide. */
  readonly kvErrors: LabelledCounter;
  /** `router_rate_limit_bans_total{reason}`: bans this router issued. */
  readonly bans: LabelledCounter;
  /** `router_rate_limit_banned_requests_total{kind}`: requests refused because their principal is banned. */
  readonly bannedRequests: LabelledCounter;

  constructor(metrics: ServiceMetrics) {
    this.decisions = new LabelledCounter(metrics.registry, 'router_rate_limit_decisions_total', 'Rate-limit decisions by policy and outcome (allowed, refused, error)');
    this.kvErrors = new LabelledCounter(metrics.registry, 'router_rate_limit_kv_errors_total', 'Rate-limit decisions the kv could not take, by policy and fail mode (open: let through, closed: refused)');
    this.bans = new LabelledCounter(metrics.registry, 'router_rate_limit_bans_total', 'Bans issued by this router, by reason');
    this.bannedRequests = new LabelledCounter(metrics.registry, 'router_rate_limit_banned_requests_total', 'Requests refused because their principal is banned, by principal kind');
  }
}
