import type { GraphQLFormattedError } from 'graphql';
import { knownCode, type ServiceMetrics } from '@chatgraph/kit';

/** Longest operation label: names come from clients, who must not blow up label cardinality. */
const MAX_OPERATION_LABEL = 64;

/**
 * Records requests and latency by operation and errors by code on the kit's ServiceMetrics,
 * straight from the router's pipeline. The operation is named from the document
 * (`query WhoAmI {...}`) when the client sends no `operationName`, which most clients do not.
 */
export class RouterMetrics {
  constructor(private readonly metrics: ServiceMetrics) {}

  /** One GraphQL request that reached the pipeline, with its latency since `startedAt` (hrtime). */
  request(operation: string | null | undefined, startedAt: bigint): void {
    const label = { operation: (operation ?? 'anonymous').slice(0, MAX_OPERATION_LABEL) };
    this.metrics.requests.inc(label);
    this.metrics.duration.observe(label, Number(process.hrtime.bigint() - startedAt) / 1e9);
  }

  /** Errors sent to a client, by code (requests refused before execution included). */
  errors(errors: readonly GraphQLFormattedError[] | undefined): void {
    if (!errors) return;
    for (const error of errors) this.metrics.errors.inc({ code: knownCode(error.extensions as Record<string, unknown> | undefined) ?? 'INTERNAL' });
  }
}
