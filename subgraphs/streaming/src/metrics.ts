import type { ServiceMetrics } from '@chatgraph/kit';

type Registry = ServiceMetrics['registry'];

/** One number exposed on `/metrics`. */
export interface Figure {
  inc(by: number): void;
  readonly value: number;
}

/**
 * Registers a metric holding one number. streaming has no direct `prom-client` dependency (the kit
 * owns it), so this is the shape its registry reads — `get()` resolving name, help, type and values —
 * rather than a `Gauge`; the registry formats it (with the service's default labels) like any other.
 */
function figure(registry: Registry, name: string, help: string, type: 'gauge' | 'counter'): Figure {
  let value = 0;
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: [{ value, labels: {} }] }),
    reset: () => {
      value = 0;
    },
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  return {
    inc: (by) => {
      value += by;
    },
    get value() {
      return value;
    },
  };
}

/** streaming's own figures, next to the kit's request metrics. */
export function streamingMetrics(registry: Registry): { subscriptions: Figure; skippedChunks: Figure; finalChunkWaitExpired: Figure } {
  return {
    finalChunkWaitExpired: figure(
      registry,
      'streaming_final_chunk_wait_expired_total',
      "done chunks released after FINAL_CHUNK_WAIT_MS without conversation's applied-outcome marker (their message may show the old state)",
      'counter',
    ),
    subscriptions: figure(registry, 'streaming_subscriptions_open', 'messageStream subscriptions open on this instance', 'gauge'),
    skippedChunks: figure(
      registry,
      'streaming_chunks_skipped_total',
      'Chunks a resuming reader never got because its stream was trimmed below its position',
      'counter',
    ),
  };
}
