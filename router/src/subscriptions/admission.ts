import { getVariableValues, type GraphQLError, type GraphQLFormattedError } from 'graphql';
import { evaluateCost, isConstantCost } from '../cost';
import type { PreparedDocument, PreparedOperation } from '../documents';
import type { SchemaGeneration } from '../gateway';
import { checkCost } from '../limits';
import { refusal } from '../refusal';

/** A graphql-ws `subscribe` payload. */
export interface SubscribePayload {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** What the checks decided about one `subscribe` message. */
export type Admission =
  /** Refused before anything ran; these are the errors the client receives. */
  | { kind: 'refused'; errors: readonly GraphQLFormattedError[] }
  /** A query or mutation: the HTTP pipeline runs it (and checks it again, from its caches). */
  | { kind: 'operation'; prepared: PreparedDocument; operation: PreparedOperation }
  /** A subscription that passed every check, with its raw variables. */
  | { kind: 'subscription'; prepared: PreparedDocument; operation: PreparedOperation; variables: Record<string, unknown> };

function variableErrors(errors: readonly GraphQLError[], hideSuggestions: boolean): GraphQLFormattedError[] {
  return errors.map((error) => ({
    // Without introspection, "did you mean" hints would leak the schema piecemeal.
    message: hideSuggestions ? error.message.replace(/ ?Did you mean(.+?)\?$/, '') : error.message,
    ...(error.locations ? { locations: error.locations } : {}),
    extensions: { code: 'BAD_USER_INPUT' },
  }));
}

/**
 * The HTTP pipeline's checks, for a subscription over graphql-ws, in the same order and from the
 * same per-generation document cache: parse and validation (which also allows a subscription
 * one root field only), operation selection, depth, aliases and root fields, variables, then cost. Each refusal is decided before any subgraph is contacted.
 */
export function admit(generation: SchemaGeneration, payload: SubscribePayload, maxCost: number): Admission {
  const { documents } = generation;
  if (typeof payload.query !== 'string' || payload.query.length === 0) {
    return { kind: 'refused', errors: refusal('BAD_USER_INPUT', 'A subscribe message must carry a non-empty `query`').errors };
  }
  const prepared = documents.prepare(payload.query);
  if (prepared.invalid) return { kind: 'refused', errors: prepared.invalid.errors };
  const operation = documents.operation(prepared, payload.operationName ?? undefined);
  if ('errors' in operation) return { kind: 'refused', errors: operation.errors };
  if (operation.operation.operation !== 'subscription') return { kind: 'operation', prepared, operation };
  // Subscriptions are reads: a read-only API key may subscribe (checkWriteScope is for mutations).
  if (operation.overLimit) return { kind: 'refused', errors: operation.overLimit.errors };

  const variables = payload.variables ?? {};
  let coerced: Record<string, unknown> = {};
  const definitions = operation.operation.variableDefinitions;
  if (definitions && definitions.length > 0) {
    const result = getVariableValues(documents.schema, definitions, variables);
    if (result.errors) return { kind: 'refused', errors: variableErrors(result.errors, !documents.introspection) };
    coerced = result.coerced;
  }
  const cost = isConstantCost(operation.cost) ? operation.cost.constant : evaluateCost(operation.cost, coerced);
  const tooCostly = checkCost(cost, maxCost);
  if (tooCostly) return { kind: 'refused', errors: tooCostly.errors };
  return { kind: 'subscription', prepared, operation, variables };
}
