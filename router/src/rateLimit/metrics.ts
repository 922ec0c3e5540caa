import type { ServiceMetrics } from '@chatgraph/kit';

type RegisteredMetric = Parameters<ServiceMetrics['registry']['registerMetric']>[0];

/** One series of a labelled counter: what the request path increments, with no allocation. */
export interface CounterSeries {
  value: number;
}

/**
 * A labelled counter kept in a Map and read at scrape time: the router package does not depend on
 * prom-client (the kit owns it; see subscriptions/metrics.ts). Label values are policy names
 * (ADMIN-defined, few) and fixed words, so the series stay bounded. The request path holds on to
 * a series (`series()`, looked up once per policy and outcome) rather than building a label
 * object and a key on every increment.
 */
class LabelledCounter<L extends string> {
  private readonly values = new Map<string, { labels: Record<L, string>; series: CounterSeries }>();

  constructor(
    registry: ServiceMetrics['registry'],
    name: string,
    help: string,
    private readonly labelNames: readonly L[],
  ) {
    const metric = {
      name,
      help,
      type: 'counter',
      aggregator: 'sum',
      get: async () => ({ name, help, type: 'counter', aggregator: 'sum', values: this.counted() }),
      // Series handed out stay valid: a reset zeroes them instead of forgetting them.
      reset: () => {
        for (const entry of this.values.values()) entry.series.value = 0;
      },
    };
    registry.registerMetric(metric as unknown as RegisteredMetric);
  }

  /** Series incremented at least once (one created ahead of its first increment is not reported, as before). */
  private counted(): Array<{ value: number; labels: Record<L, string> }> {
    const counted: Array<{ value: number; labels: Record<L, string> }> = [];
    for (const { labels, series } of this.values.values()) if (series.value > 0) counted.push({ value: series.value, labels });
    return counted;
  }

  /** The series of these label values (in `labelNames` order), created at its first use. */
  series(...values: string[]): CounterSeries {
    const key = values.join('\u0000');
    let entry = this.values.get(key);
    if (!entry) {
      const labels = {} as Record<L, string>;
      this.labelNames.forEach((label, i) => (labels[label] = values[i] ?? ''));
      entry = { labels, series: { value: 0 } };
      this.values.set(key, entry);
    }
    return entry.series;
  }

  inc(labels: Record<L, string>): void {
    this.series(...this.labelNames.map((label) => labels[label])).value++;
  }
}

/** The decision counters of one policy, kept by the limiter so a decision costs one increment. */
export interface PolicyDecisionSeries {
  allowed: CounterSeries;
  refused: CounterSeries;
  error: CounterSeries;
}

/** The limiter's metrics on the router's registry. */
export class RateLimitMetrics {
  /** `router_rate_limit_decisions_total{policy,outcome}`: allowed, refused, or error (the kv could not decide). */
  readonly decisions: LabelledCounter<'policy' | 'outcome'>;
  /** `router_rate_limit_kv_errors_total{policy,fail_mode}`: what was done when the kv could not decide. */
  readonly kvErrors: LabelledCounter<'policy' | 'fail_mode'>;
  /** `router_rate_limit_bans_total{reason}`: bans this router issued. */
  readonly bans: LabelledCounter<'reason'>;
  /** `router_rate_limit_banned_requests_total{kind}`: requests refused because their principal is banned. */
  readonly bannedRequests: LabelledCounter<'kind'>;
  private readonly byPolicy = new Map<string, PolicyDecisionSeries>();

  constructor(metrics: ServiceMetrics) {
    this.decisions = new LabelledCounter(
      metrics.registry,
      'router_rate_limit_decisions_total',
      'Rate-limit decisions by policy and outcome (allowed, refused, error)',
      ['policy', 'outcome'],
    );
    this.kvErrors = new LabelledCounter(
      metrics.registry,
      'router_rate_limit_kv_errors_total',
      'Rate-limit decisions the kv could not take, by policy and fail mode (open: let through, closed: refused)',
      ['policy', 'fail_mode'],
    );
    this.bans = new LabelledCounter(metrics.registry, 'router_rate_limit_bans_total', 'Bans issued by this router, by reason', ['reason']);
    this.bannedRequests = new LabelledCounter(
      metrics.registry,
      'router_rate_limit_banned_requests_total',
      'Requests refused because their principal is banned, by principal kind',
      ['kind'],
    );
  }

  /** The decision series of one policy (one Map lookup per decision, no label object). */
  decisionsOf(policy: string): PolicyDecisionSeries {
    let series = this.byPolicy.get(policy);
    if (!series) {
      series = {
        allowed: this.decisions.series(policy, 'allowed'),
        refused: this.decisions.series(policy, 'refused'),
        error: this.decisions.series(policy, 'error'),
      };
      this.byPolicy.set(policy, series);
    }
    return series;
  }
}
