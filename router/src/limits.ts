import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { refusal, type Refusal } from './refusal';

/** Operation shape limits, checked on the parsed operation before any subgraph is called. */
export interface OperationLimits {
  /** Deepest field nesting: `{ me { id } }` has depth 2. Introspection (`__schema`, `__type`) is not counted. */
  maxDepth: number;
  /** Aliased fields, counted as executed (a fragment spread twice counts twice). */
  maxAliases: number;
  /** Fields selected at the root of the operation. */
  maxRootFields: number;
  /** Static cost (see cost.ts): every field 1, list fields multiplied by their page size. */
  maxCost: number;
  /**
   * Most lexical tokens (and, separately, comments) in a document: the parser stops there, so a
   * huge document (`{ a a a … }`) costs at most this many tokens of parsing before its refusal.
   */
  maxTokens: number;
}

/** What `measureOperation` finds. */
export interface OperationShape {
  depth: number;
  aliases: number;
  rootFields: number;
}

interface SelectionStats {
  depth: number;
  aliases: number;
  /** Fields at the top level of the selection set, through fragments. */
  fields: number;
}

const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

const EMPTY: SelectionStats = { depth: 0, aliases: 0, fields: 0 };

/**
 * Measures an operation, following fragment spreads. Each fragment is measured once and reused
 * (so a document that spreads fragments exponentially is measured in linear time, and its
 * expanded alias count still reflects the blow-up), and a fragment already on the current path
 * counts as empty: validation rejects fragment cycles, but this walk must end even without it.
 */
export function measureOperation(document: DocumentNode, operation: OperationDefinitionNode): OperationShape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const measured = new Map<string, SelectionStats>();
  const onPath = new Set<string>();

  const fragmentStats = (name: string): SelectionStats => {
    const known = measured.get(name);
    if (known) return known;
    const fragment = fragments.get(name);
    if (!fragment || onPath.has(name)) return EMPTY;
    onPath.add(name);
    const stats = selectionStats(fragment.selectionSet);
    onPath.delete(name);
    measured.set(name, stats);
    return stats;
  };

  const selectionStats = (selectionSet: SelectionSetNode): SelectionStats => {
    let depth = 0;
    let aliases = 0;
    let fields = 0;
    for (const selection of selectionSet.selections) {
      let inner: SelectionStats;
      switch (selection.kind) {
        case Kind.FIELD: {
          const child = selection.selectionSet ? selectionStats(selection.selectionSet) : EMPTY;
          // Introspection is answered by the router itself and the standard query nests `ofType` 15 deep; like Hive's
          // max-depth plugin, its depth is not counted (aliases and root fields still are).
          const depth = INTROSPECTION_ROOTS.has(selection.name.value) ? 0 : child.depth + 1;
          inner = { depth, aliases: child.aliases + (selection.alias ? 1 : 0), fields: 1 };
          break;
        }
        case Kind.INLINE_FRAGMENT:
          inner = selectionStats(selection.selectionSet);
          break;
        case Kind.FRAGMENT_SPREAD:
          inner = fragmentStats(selection.name.value);
          break;
      }
      depth = Math.max(depth, inner.depth);
      aliases += inner.aliases;
      fields += inner.fields;
    }
    return { depth, aliases, fields };
  };

  const stats = selectionStats(operation.selectionSet);
  return { depth: stats.depth, aliases: stats.aliases, rootFields: stats.fields };
}

/** The first shape limit an operation exceeds, as the refusal the client receives; undefined when it fits. */
export function checkOperationLimits(shape: OperationShape, limits: OperationLimits): Refusal | undefined {
  if (shape.depth > limits.maxDepth) {
    return refusal('BAD_USER_INPUT', `Operation is nested ${shape.depth} levels deep; at most ${limits.maxDepth} are allowed`, {
      limit: 'depth',
      max: limits.maxDepth,
      actual: shape.depth,
    });
  }
  if (shape.aliases > limits.maxAliases) {
    return refusal('BAD_USER_INPUT', `Operation uses ${shape.aliases} aliases; at most ${limits.maxAliases} are allowed`, {
      limit: 'aliases',
      max: limits.maxAliases,
      actual: shape.aliases,
    });
  }
  if (shape.rootFields > limits.maxRootFields) {
    return refusal('BAD_USER_INPUT', `Operation selects ${shape.rootFields} root fields; at most ${limits.maxRootFields} are allowed`, {
      limit: 'rootFields',
      max: limits.maxRootFields,
      actual: shape.rootFields,
    });
  }
  return undefined;
}

/** Refuses an operation whose cost (with this request's variables) is over `maxCost`. */
export function checkCost(cost: number, maxCost: number): Refusal | undefined {
  if (cost <= maxCost) return undefined;
  // A cost can overflow to Infinity with absurd page sizes; JSON has no Infinity.
  const actual = Number.isFinite(cost) ? cost : Number.MAX_VALUE;
  return refusal('BAD_USER_INPUT', `Operation costs ${actual}; at most ${maxCost} is allowed`, { limit: 'cost', max: maxCost, actual });
}
