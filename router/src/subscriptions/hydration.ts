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
export async function hydrateEvent(planner: SubscriptionPlanner, plan: SubscriptionPlan, event: UpstreamEvent, request: HydrationRequest): Promise<ExecutionResult> {
  const { prepared } = request;
  if (!prepared.document) throw new Error('hydrating an event of an invalid document');
  // Merging `_entities` results writes into the event's objects, which other clients share.
  const data = plan.hydrates ? structuredClone(event.data) : event.data;
  const eventSource: GraphQLDataSource = { process: async () => ({ data, errors: event.errors as GraphQLFormattedError[] | undefined }) };
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
  const result = await executeQueryPlan(plan.perEvent, serviceMap, requestContext, plan.operationContext, planner.supergraphSchema, planner.apiSchema);
  return result as ExecutionResult;
}
