import { createHash } from 'node:crypto';
import {
  GraphQLError,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import { compileCost, type CostNode } from './cost';
import { checkOperationLimits, measureOperation, type OperationLimits } from './limits';
import { LruCache } from './lru';
import { refusal, type Refusal } from './refusal';
import { MAX_SOURCE_NESTING, nestsDeeperThan } from './sourceNesting';

/** One operation of a cached document, with everything about it that does not depend on the request. */
export interface PreparedOperation {
  readonly kind: 'operation';
  readonly operation: OperationDefinitionNode;
  readonly name: string | null;
  /** The first shape limit (depth, aliases, root fields) it exceeds, measured once. */
  readonly overLimit: Refusal | undefined;
  /** Its cost, compiled once; evaluated per request only when a page size is a variable. */
  readonly cost: CostNode;
}

/** A query string parsed and validated against one schema, once. */
export interface PreparedDocument {
  readonly source: string;
  /** sha256 of the source, hex: the gateway's query-plan key and the APQ hash. */
  readonly queryHash: string;
  readonly document: DocumentNode | undefined;
  /** Syntax or validation errors; the document is not executable when set. */
  readonly invalid: Refusal | undefined;
  readonly operationCount: number;
  /** The operation a request names (or the only one), resolved once per name. */
  readonly operations: Map<string, PreparedOperation | Refusal>;
}

/** What validation and the limit measurements depend on besides the schema. */
export interface DocumentCacheOptions {
  introspection: boolean;
  limits: OperationLimits;
}

/** Documents bigger than this are served but not cached. */
const MAX_CACHED_SOURCE = 64 * 1024;
/** Most operation names remembered per document (a client could send endless made-up names). */
const MAX_NAMED_OPERATIONS = 16;

/** Refuses `__schema` and `__type` when introspection is off, as Apollo's NoIntrospection rule did. */
const NoIntrospection: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type') {
      context.reportError(
        new GraphQLError('GraphQL introspection is not allowed, but the query contained __schema or __type', { nodes: [node] }),
      );
    }
  },
});

function badInput(errors: readonly GraphQLError[], hideSuggestions: boolean): Refusal {
  const formatted = errors.map((error): GraphQLFormattedError => {
    // Without introspection, "did you mean" hints would leak the schema piecemeal.
    const message = hideSuggestions ? error.message.replace(/ ?Did you mean(.+?)\?$/, '') : error.message;
    return error.locations
      ? { message, locations: error.locations, extensions: { code: 'BAD_USER_INPUT' } }
      : { message, extensions: { code: 'BAD_USER_INPUT' } };
  });
  return { status: 400, errors: formatted };
}

/**
 * The parsed, validated documents of one schema generation, in an LRU keyed by the query string:
 * a query seen before costs a map lookup, not a parse, a validation, a hash and a walk. A new
 * schema gets a new cache; requests in flight keep the one they started with.
 */
export class DocumentCache {
  private readonly cache = new LruCache<string, PreparedDocument>(2000, 8 * 1024 * 1024);
  private readonly rules: readonly ValidationRule[];

  constructor(
    readonly schema: GraphQLSchema,
    private readonly options: DocumentCacheOptions,
  ) {
    this.rules = options.introspection ? specifiedRules : [...specifiedRules, NoIntrospection];
  }

  /** Whether introspection is allowed (and "did you mean" hints shown) for this schema. */
  get introspection(): boolean {
    return this.options.introspection;
  }

  /** The prepared document for `source`, from the cache or parsed and validated now. */
  prepare(source: string): PreparedDocument {
    const cached = this.cache.get(source);
    if (cached) return cached;
    const prepared = this.build(source);
    if (source.length <= MAX_CACHED_SOURCE) this.cache.set(source, prepared, source.length);
    return prepared;
  }

  /** The operation `name` selects (undefined: the only one), or why there is none. */
  operation(prepared: PreparedDocument, name: string | undefined): PreparedOperation | Refusal {
    const key = name ?? '';
    const known = prepared.operations.get(key);
    if (known) return known;
    const resolved = this.resolve(prepared, name);
    if (prepared.operations.size < MAX_NAMED_OPERATIONS) prepared.operations.set(key, resolved);
    return resolved;
  }

  private build(source: string): PreparedDocument {
    const queryHash = createHash('sha256').update(source).digest('hex');
    const base = { source, queryHash, operations: new Map<string, PreparedOperation | Refusal>() };
    // Before parsing: graphql-js parses recursively, and a deep enough document overflows the stack.
    if (nestsDeeperThan(source, MAX_SOURCE_NESTING)) {
      const tooDeep = refusal('BAD_USER_INPUT', `Document nests brackets more than ${MAX_SOURCE_NESTING} levels deep`, {
        limit: 'nesting',
        max: MAX_SOURCE_NESTING,
      });
      return { ...base, document: undefined, invalid: tooDeep, operationCount: 0 };
    }
    let document: DocumentNode;
    try {
      const { maxTokens } = this.options.limits;
      // A syntax error as any other: "Document contains more that N tokens. Parsing aborted." (graphql-js's words).
      document = parse(source, { maxLexicalTokens: maxTokens, maxComments: maxTokens });
    } catch (err) {
      if (!(err instanceof GraphQLError)) throw err;
      return { ...base, document: undefined, invalid: badInput([err], false), operationCount: 0 };
    }
    const errors = validate(this.schema, document, this.rules);
    if (errors.length > 0)
      return { ...base, document: undefined, invalid: badInput(errors, !this.options.introspection), operationCount: 0 };
    const operationCount = document.definitions.reduce((n, d) => (d.kind === Kind.OPERATION_DEFINITION ? n + 1 : n), 0);
    return { ...base, document, invalid: undefined, operationCount };
  }

  private resolve(prepared: PreparedDocument, name: string | undefined): PreparedOperation | Refusal {
    const { document } = prepared;
    if (!document) throw new Error('resolving an operation of an invalid document');
    let operation: OperationDefinitionNode | undefined;
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      if (name === undefined ? prepared.operationCount === 1 : definition.name?.value === name) operation = definition;
    }
    if (!operation) {
      const message =
        name !== undefined
          ? `Unknown operation named "${name}".`
          : prepared.operationCount > 1
            ? 'Must provide operation name if query contains multiple operations.'
            : 'Must provide an operation.';
      return { status: 400, errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] };
    }
    const overLimit = checkOperationLimits(measureOperation(document, operation), this.options.limits);
    // Over-limit operations are refused before their cost matters; compiling it is skipped.
    const cost = overLimit ? { constant: 0, parts: [] } : compileCost(this.schema, document, operation);
    return { kind: 'operation', operation, name: operation.name?.value ?? null, overLimit, cost };
  }
}
