import type { GraphQLFormattedError } from 'graphql';
import { knownCode, type ServiceMetrics } from '@chatgraph/kit';

/**
 * Records requests and latency by operation and errors by code on the kit's ServiceMetrics,
 * straight from the router's pipeline. The operation is named from the document
 * (`query WhoAmI {...}`) when the client sends no `operationName`, which most clients do not.
 * Names come from clients: the label is bounded by the kit's OperationLabels (the first names up
 * to a cap, then `__other__`), so made-up names cannot grow `/metrics` or the router's memory.
 */
export class RouterMetrics {
  constructor(private readonly metrics: ServiceMetrics) {}

  /** One GraphQL request that reached the pipeline, with its latency since `startedAt` (hrtime). */
  request(operation: string | null | undefined, startedAt: bigint): void {
    const label = { operation: this.metrics.operations.of(operation) };
    this.metrics.requests.inc(label);
    this.metrics.duration.observe(label, Number(process.hrtime.bigint() - startedAt) / 1e9);
  }

  /** Errors sent to a client, by code (requests refused before execution included). */
  errors(errors: readonly GraphQLFormattedError[] | undefined): void {
    if (!errors) return;
    for (const error of errors)
      this.metrics.errors.inc({ code: knownCode(error.extensions as Record<string, unknown> | undefined) ?? 'INTERNAL' });
  }
}
