import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ApolloServerPlugin } from '@apollo/server';
import { knownCode } from './errors';

/** Longest operation label kept: longer names are cut. */
const MAX_OPERATION_LABEL = 64;

/** The label of operations without a name. */
export const ANONYMOUS_OPERATION = 'anonymous';
/** The one label of every operation name past the cap. */
export const OTHER_OPERATIONS = '__other__';

/**
 * Bounds the `operation` label's values: operation names come from clients, and every distinct
 * value is a new time series (a histogram's is 14 of them) held in memory and written at every
 * scrape. The first `max` distinct names keep their own label; later ones share
 * `__other__`, and nameless operations share `anonymous`.
 */
export class OperationLabels {
  private readonly known = new Set<string>();

  constructor(readonly max: number) {}

  /** The label for an operation named `name` (null or undefined: anonymous). */
  of(name: string | null | undefined): string {
    if (!name) return ANONYMOUS_OPERATION;
    const label = name.slice(0, MAX_OPERATION_LABEL);
    if (this.known.has(label)) return label;
    if (this.known.size >= this.max) return OTHER_OPERATIONS;
    this.known.add(label);
    return label;
  }
}

/** ServiceMetrics options. */
export interface ServiceMetricsOptions {
  /** Also collect Node's default process metrics (memory, event loop, GC). */
  defaultMetrics?: boolean;
  /** Most distinct operation names labelled on their own (see OperationLabels). Default 200. */
  maxOperations?: number;
}

/**
 * Prometheus metrics of one server. Each server owns its registry, so the embedded mode (every
 * service in one process) exposes each service's figures on its own `/metrics`.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'operation'>;
  readonly duration: Histogram<'operation'>;
  readonly errors: Counter<'code'>;
  /** The bounded `operation` label of `requests` and `duration`: record through it, never with a raw name. */
  readonly operations: OperationLabels;

  constructor(service: string, options: ServiceMetricsOptions = {}) {
    this.operations = new OperationLabels(options.maxOperations ?? 200);
    this.registry.setDefaultLabels({ service });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'graphql_requests_total',
      help: 'GraphQL requests by operation',
      labelNames: ['operation'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'graphql_request_duration_seconds',
      help: 'GraphQL request latency by operation',
      labelNames: ['operation'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.errors = new Counter({
      name: 'graphql_errors_total',
      help: 'GraphQL errors by code',
      labelNames: ['code'],
      registers: [this.registry],
    });
  }

  /** Apollo plugin recording count and latency by operation name and errors by code. */
  plugin(): ApolloServerPlugin {
    const { requests, duration, errors: errorCount, operations } = this;
    return {
      async requestDidStart() {
        const started = process.hrtime.bigint();
        return {
          async willSendResponse({ request, operationName, response, errors }) {
            // The resolved operation name (from the document), else the one the client sent; bounded.
            const operation = operations.of(operationName ?? request.operationName);
            requests.inc({ operation });
            duration.observe({ operation }, Number(process.hrtime.bigint() - started) / 1e9);
            const body = response.body;
            const reported = body.kind === 'single' ? (body.singleResult.errors ?? []) : [];
            const seen = reported.length > 0 ? reported : (errors ?? []);
            for (const e of seen) errorCount.inc({ code: knownCode(e.extensions as Record<string, unknown> | undefined) ?? 'INTERNAL' });
          },
        };
      },
    };
  }
}
