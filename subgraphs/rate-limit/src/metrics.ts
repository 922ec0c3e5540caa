import type { ServiceMetrics } from '@chatgraph/kit';

type Registry = ServiceMetrics['registry'];

/** rate-limit's credit figures on `/metrics`, next to the kit's request metrics. */
export interface CreditMetrics {
  /** Counts one applied debit of `credits`. */
  debited(credits: number): void;
}

/**
 * Registers `ratelimit_debits_total` and `ratelimit_debited_credits_total`. rate-limit has no
 * direct `prom-client` dependency (the kit owns it), so these are the shape the registry reads
 * (`get()` resolving name, help, type and values), as streaming's metrics are.
 */
export function creditMetrics(registry: Registry): CreditMetrics {
  let debits = 0;
  let credits = 0;
  const counter = (name: string, help: string, read: () => number) => ({
    name,
    help,
    type: 'counter',
    aggregator: 'sum',
    get: async () => ({ name, help, type: 'counter', aggregator: 'sum', values: [{ value: read(), labels: {} }] }),
    reset: () => undefined,
  });
  const register = (metric: ReturnType<typeof counter>) =>
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  register(counter('ratelimit_debits_total', 'Generations debited from a balance (each exactly once)', () => debits));
  register(counter('ratelimit_debited_credits_total', 'Credits debited for generations', () => credits));
  return {
    debited(amount) {
      debits += 1;
      credits += amount;
    },
  };
}
