import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ApolloServerPlugin } from '@apollo/server';
import { knownCode } from './errors';

/**
 * Prometheus metrics of one server. Each server owns its registry, so the embedded mode (every
 * service in one process) exposes each service's figures on its own `/metrics`.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'operation'>;
  readonly duration: Histogram<'operation'>;
  readonly errors: Counter<'code'>;

  constructor(service: string, options: { defaultMetrics?: boolean } = {}) {
    this.registry.setDefaultLabels({ service });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({ name: 'graphql_requests_total', help: 'GraphQL requests by operation', labelNames: ['operation'], registers: [this.registry] });
    this.duration = new Histogram({
      name: 'graphql_request_duration_seconds',
      help: 'GraphQL request latency by operation',
      labelNames: ['operation'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.errors = new Counter({ name: 'graphql_errors_total', help: 'GraphQL errors by code', labelNames: ['code'], registers: [this.registry] });
  }

  /** Apollo plugin recording count and latency by operation name and errors by code. */
  plugin(): ApolloServerPlugin {
    const { requests, duration, errors: errorCount } = this;
    return {
      async requestDidStart() {
        const started = process.hrtime.bigint();
        return {
          async willSendResponse({ request, operationName, response, errors }) {
            // Operation names come from clients: cap their length so a client cannot blow up cardinality.
            // The resolved operation name (from the document), else the one the client sent.
            const operation = (operationName ?? request.operationName ?? 'anonymous').slice(0, 64);
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
