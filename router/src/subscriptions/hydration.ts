import { executeQueryPlan, type GraphQLDataSource } from '@apollo/gateway';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { ExecutionResult } from 'graphql-ws';
import type { RequestContext } from '../context';
import type { PreparedDocument } from '../documents';
import { NO_SCHEMA_HASH, UNUSED_CACHE, type GatewayRequestContext } from '../gateway';
import { EVENT_SERVICE, type SubscriptionPlan, type SubscriptionPlanner } from './planner';
import type { UpstreamEvent } from './upstreamConnections';

/** The client subscription an event is shaped for. */
export interface HydrationRequest {
  prepared: PreparedDocument;
  operationName: string | undefined;
  /** The client's raw variables (the gateway passes them on to `_entities` fetches as it gets them). */
  variables: Record<string, unknown>;
  context: RequestContext;
  /** The API schema the operation was validated against. */
  schema: GraphQLSchema;
  logger: GatewayRequestContext['logger'];
}

/**
 * One event, completed from the other subgraphs and shaped to the client's selection: the plan's
 * primary fetch is answered by the event itself, then `@apollo/gateway`'s `executeQueryPlan`
 * runs the rest (signed `_entities` fetches) and merges exactly as for a query. A chunk whose
 * entity is null costs no fetch (a Flatten over null fetches nothing).
 */
export async function hydrateEvent(
  planner: SubscriptionPlanner,
  plan: SubscriptionPlan,
  event: UpstreamEvent,
  request: HydrationRequest,
): Promise<ExecutionResult> {
  const { prepared } = request;
  if (!prepared.document) throw new Error('hydrating an event of an invalid document');
  // Merging `_entities` results writes into the event's objects, which other clients share (and
  // which a retry below needs unchanged): each execution gets its own copy.
  const eventSource: GraphQLDataSource = {
    process: async () => ({
      data: plan.hydrates ? structuredClone(event.data) : event.data,
      errors: event.errors as GraphQLFormattedError[] | undefined,
    }),
  };
  const requestContext: GatewayRequestContext = {
    request: { query: prepared.source, operationName: request.operationName, variables: request.variables },
    document: prepared.document,
    operation: plan.operationContext.operation,
    operationName: request.operationName ?? null,
    source: prepared.source,
    queryHash: prepared.queryHash,
    context: request.context,
    metrics: {},
    logger: request.logger,
    schema: request.schema,
    schemaHash: NO_SCHEMA_HASH,
    cache: UNUSED_CACHE,
    overallCachePolicy: undefined,
  };
  const serviceMap = { ...planner.dataSources, [EVENT_SERVICE]: eventSource };
  const execute = async (): Promise<ExecutionResult> =>
    (await executeQueryPlan(
      plan.perEvent,
      serviceMap,
      requestContext,
      plan.operationContext,
      planner.supergraphSchema,
      planner.apiSchema,
    )) as ExecutionResult;
  // The final event of a stream (`done: true`, as `messageStream`'s last chunk) whose entities'
  // owner cannot be reached (restarting) waits for it, bounded, as streaming waits out an outage
  // before it releases that chunk: served at once, its entity would be null and a normalized
  // client cache would keep that (docs/subscriptions.md). Other events are not held: tokens queued
  // behind a held first chunk would pile up. The event's own errors (from the subgraph that sent
  // it) do not change by fetching again.
  let result = await execute();
  const retries = plan.hydrates && isFinal(event) && !event.errors?.length ? UNAVAILABLE_RETRY_DELAYS_MS : [];
  for (const delayMs of retries) {
    if (!result.errors?.some((error) => error.extensions?.code === 'UNAVAILABLE')) break;
    await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
    result = await execute();
  }
  return result;
}

/** Whether the event's root field says it is the stream's last (`done: true`). */
function isFinal(event: UpstreamEvent): boolean {
  const data = event.data as Record<string, unknown> | null | undefined;
  return Object.values(data ?? {}).some((root) => root !== null && typeof root === 'object' && (root as { done?: unknown }).done === true);
}

/** Pauses before re-fetching an event's entities from an unreachable owner (about 30 s in all). */
const UNAVAILABLE_RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 4_000, 4_000, 4_000, 5_000, 5_000];
