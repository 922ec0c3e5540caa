import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { knownCode, type ServiceMetrics } from '@chatgraph/kit';

/**
 * Records requests and latency by operation and errors by code on the kit's ServiceMetrics.
 * Unlike the kit's own plugin it names the operation from the document (`query WhoAmI {...}`)
 * when the client sends no `operationName`, which most clients do not.
 */
export function routerMetricsPlugin(metrics: ServiceMetrics): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ request, operationName, response, errors }) {
          // Names come from clients: cap their length so a client cannot blow up label cardinality.
          const operation = (operationName ?? request.operationName ?? 'anonymous').slice(0, 64);
          metrics.requests.inc({ operation });
          metrics.duration.observe({ operation }, Number(process.hrtime.bigint() - started) / 1e9);
          const reported = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          for (const e of reported.length > 0 ? reported : (errors ?? [])) {
            metrics.errors.inc({ code: knownCode(e.extensions as Record<string, unknown> | undefined) ?? 'INTERNAL' });
          }
        },
      };
    },
  };
}
