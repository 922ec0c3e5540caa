import { getVariableValues, type GraphQLError, type GraphQLFormattedError } from 'graphql';
import { refusal, SUBSCRIPTION_OVER_HTTP, type Refusal } from './refusal';
import type { RequestContext } from './context';
import { evaluateCost, isConstantCost } from './cost';
import type { PreparedDocument, PreparedOperation } from './documents';
import { maskErrors } from './errorMasking';
import { NO_SCHEMA_HASH, UNUSED_CACHE, type GatewayRequestContext, type RouterGateway } from './gateway';
import type { GraphQLRequest } from './graphqlRequest';
import { checkCost } from './limits';
import { PersistedQueries } from './persistedQueries';
import { rootFieldUses, type RequestGate } from './rateLimit';
import { checkWriteScope } from './scopes';

/** A GraphQL response, ready to serialize: `errors` first, as Apollo orders them. */
export interface GraphQLResponseBody {
  errors?: readonly GraphQLFormattedError[];
  data?: Record<string, unknown> | null;
  extensions?: Record<string, unknown>;
}

/** What the pipeline answers for one request. */
export interface Outcome {
  readonly status: number;
  readonly body: GraphQLResponseBody;
  readonly headers?: Readonly<Record<string, string>>;
  /** The operation's name for metrics: from the document, else as the client sent it. */
  readonly operationName: string | null | undefined;
}

/** The pipeline's collaborators and the one limit it checks per request (cost). */
export interface PipelineOptions {
  gateway: RouterGateway;
  persistedQueries: PersistedQueries;
  maxCost: number;
}

const NO_VARIABLES: Readonly<Record<string, unknown>> = Object.freeze({});

const NOT_LOADED = refusal('UNAVAILABLE', 'The graph is not loaded yet, try again');
const NO_QUERY = refusal('BAD_USER_INPUT', 'GraphQL operations must contain a non-empty `query` or a `persistedQuery` extension.');

function refused(refusal: Refusal, operationName: string | null | undefined): Outcome {
  return { status: refusal.status, body: { errors: refusal.errors }, headers: refusal.headers, operationName };
}

function variableErrors(errors: readonly GraphQLError[], hideSuggestions: boolean): Refusal {
  return {
    status: 400,
    errors: errors.map((error) => ({
      // Without introspection, "did you mean" hints would leak the schema piecemeal.
      message: hideSuggestions ? error.message.replace(/ ?Did you mean(.+?)\?$/, '') : error.message,
      ...(error.locations ? { locations: error.locations } : {}),
      extensions: { code: 'BAD_USER_INPUT' },
    })),
  };
}

/**
 * The router's request pipeline, in place of Apollo Server's: persisted-query lookup, the cached
 * parse + validation + limit measurements of the document, operation selection, GET safety,
 * shape limits, the API-key write scope, variable coercion and cost — each refusal before any
 * subgraph is called — then the gateway's executor and the router's error masking.
 */
export class Pipeline {
  constructor(private readonly options: PipelineOptions) {}

  /** `gate`: the request's rate limits (rateLimit/), decided right before execution when given. */
  async run(request: GraphQLRequest, method: string, context: RequestContext, gate?: RequestGate): Promise<Outcome> {
    const { gateway, persistedQueries } = this.options;
    // Taken once: a hot reload during this request does not change what it runs against.
    const generation = gateway.generation;
    const executor = gateway.executor;
    if (!generation || !executor) return refused(NOT_LOADED, request.operationName);

    let query = request.query;
    const persisted = PersistedQueries.refOf(request.extensions);
    if (persisted && 'errors' in persisted) return refused(persisted, request.operationName);
    if (persisted && query === undefined) {
      const registered = persistedQueries.lookup(persisted);
      if (typeof registered !== 'string') return refused(registered, request.operationName);
      query = registered;
    }
    if (!query) return refused(NO_QUERY, request.operationName);

    const { documents } = generation;
    const prepared = documents.prepare(query);
    const registering = persisted !== undefined && request.query !== undefined;
    if (registering) {
      const mismatch = PersistedQueries.mismatch(persisted, prepared.queryHash);
      if (mismatch) return refused(mismatch, request.operationName);
    }
    if (prepared.invalid) return refused(prepared.invalid, request.operationName);
    const resolved = documents.operation(prepared, request.operationName);
    if ('errors' in resolved) return refused(resolved, request.operationName);
    const refusedBeforeVariables = this.check(resolved, method, context);
    if (refusedBeforeVariables) {
      // An operation over the shape limits is an abusive payload: it counts toward a ban.
      if (refusedBeforeVariables === resolved.overLimit) gate?.violation('abusive-payload', 5);
      return refused(refusedBeforeVariables, resolved.name);
    }
    if (registering) persistedQueries.register(persisted, query);

    let variables = NO_VARIABLES;
    const definitions = resolved.operation.variableDefinitions;
    if (definitions && definitions.length > 0) {
      const coerced = getVariableValues(documents.schema, definitions, request.variables ?? NO_VARIABLES);
      if (coerced.errors) return refused(variableErrors(coerced.errors, !documents.introspection), resolved.name);
      variables = coerced.coerced;
    }
    const cost = isConstantCost(resolved.cost) ? resolved.cost.constant : evaluateCost(resolved.cost, variables);
    const tooCostly = checkCost(cost, this.options.maxCost);
    if (tooCostly) {
      gate?.violation('abusive-payload', 5);
      return refused(tooCostly, resolved.name);
    }
    if (gate && prepared.document) {
      const limited = await gate.operation(
        rootFieldUses(prepared.document, resolved.operation, variables),
        resolved.name ?? undefined,
        cost,
      );
      if (limited) return refused(limited, resolved.name);
    }

    return this.execute(executor, documents.schema, prepared, resolved, request, context);
  }

  /** Checks that need the operation but not the variables, in the order Apollo's plugins ran them. */
  private check(resolved: PreparedOperation, method: string, context: RequestContext): Refusal | undefined {
    const type = resolved.operation.operation;
    if (method === 'GET' && type !== 'query') {
      return refusal('BAD_USER_INPUT', `GET requests only support query operations, not ${type} operations`, {}, 405, { allow: 'POST' });
    }
    if (type === 'subscription') return SUBSCRIPTION_OVER_HTTP;
    return resolved.overLimit ?? checkWriteScope(context.principal, type);
  }

  private async execute(
    executor: NonNullable<RouterGateway['executor']>,
    schema: GatewayRequestContext['schema'],
    prepared: PreparedDocument,
    resolved: PreparedOperation,
    request: GraphQLRequest,
    context: RequestContext,
  ): Promise<Outcome> {
    if (!prepared.document) throw new Error('executing an invalid document');
    // The fields the gateway reads (see @apollo/server's makeGatewayGraphQLRequestContext); the
    // rest are there for the type. With one operation in the document its name is left out of
    // `request`: the plan is the same, and the gateway then keys its plan cache on queryHash
    // instead of hashing queryHash + name again on every request.
    const requestContext: GatewayRequestContext = {
      request: {
        query: prepared.source,
        operationName: prepared.operationCount === 1 ? undefined : request.operationName,
        variables: request.variables,
      },
      document: prepared.document,
      operation: resolved.operation,
      operationName: resolved.name,
      source: prepared.source,
      queryHash: prepared.queryHash,
      context,
      metrics: {},
      logger: this.options.gateway.logger,
      schema,
      schemaHash: NO_SCHEMA_HASH,
      cache: UNUSED_CACHE,
      overallCachePolicy: undefined,
    };
    try {
      const result = await executor(requestContext);
      const errors = result.errors && result.errors.length > 0 ? maskErrors(result.errors, context) : undefined;
      // Errors without data mean nothing ran (the gateway refused the operation): the client's fault.
      const status = errors && result.data === undefined ? 400 : 200;
      return {
        status,
        body: { errors, data: result.data, extensions: result.extensions },
        operationName: resolved.name ?? request.operationName,
      };
    } catch (err) {
      return { status: 500, body: { errors: maskErrors([err], context) }, operationName: resolved.name ?? request.operationName };
    }
  }
}
