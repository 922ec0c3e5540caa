import type { Subgraph } from '@chatgraph/kit';

/**
 * GraphQL requests a subgraph has executed (any operation, including `_service` and
 * `_entities`). Limit and auth tests compare it before and after a refused request to prove the
 * router called nothing.
 */
export async function executedRequests(subgraph: Subgraph): Promise<number> {
  const { values } = await subgraph.metrics.requests.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}
