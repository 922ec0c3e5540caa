import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type ArgumentNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** Page size assumed for a list field that says nothing about its size. */
export const DEFAULT_LIST_SIZE = 10;

/** Arguments that bound how many items a field returns. */
const SIZE_ARGUMENTS = new Set(['first', 'last', 'limit']);

/** Introspection is answered by the router itself: a root costs 1, whatever it selects. */
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

/**
 * The static cost of a selection set, compiled once per cached document. Everything that does not
 * depend on variables is folded into `constant`; a part multiplied by a variable page size (or
 * containing such a part) stays a child, evaluated per request. Fragment spreads share their
 * node, so a document spreading fragments exponentially compiles and evaluates in linear time.
 */
export interface CostNode {
  readonly constant: number;
  readonly parts: ReadonlyArray<{ readonly factor: number; readonly variable: string | undefined; readonly node: CostNode }>;
}

const ZERO: CostNode = { constant: 0, parts: [] };

/** A field's multiplier: a literal size, a variable holding it, or the default for an unbounded list. */
type Multiplier = number | { variable: string };

function multiplierOf(size: ArgumentNode | undefined, isList: boolean, inPage: boolean): Multiplier {
  if (size) {
    if (size.value.kind === Kind.INT) return Math.max(0, Number(size.value.value));
    if (size.value.kind === Kind.VARIABLE) return { variable: size.value.name.value };
    return DEFAULT_LIST_SIZE;
  }
  // A list right inside a paginated connection (`users(first: 50) { edges { ... } }`) is that page.
  if (isList) return inPage ? 1 : DEFAULT_LIST_SIZE;
  return 1;
}

/**
 * Compiles an operation's cost: each field costs 1; a field returning a list, or taking a
 * `first`/`last`/`limit` argument, multiplies the cost of its selection by that argument
 * (a literal or a variable) or by DEFAULT_LIST_SIZE when a list has none. Fragments are
 * followed; a fragment already on the current path counts 0 (validation rejects cycles anyway).
 */
export function compileCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): CostNode {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const compiled = new Map<string, CostNode>();
  const onPath = new Set<string>();

  const typeNamed = (name: string | undefined, fallback: GraphQLCompositeType | undefined): GraphQLCompositeType | undefined => {
    if (name === undefined) return fallback;
    const type = schema.getType(name);
    return type && isCompositeType(type) ? type : undefined;
  };

  const fragmentCost = (name: string, inPage: boolean): CostNode => {
    const key = `${inPage ? 'p' : 'n'}:${name}`;
    const known = compiled.get(key);
    if (known) return known;
    const fragment = fragments.get(name);
    if (!fragment || onPath.has(key)) return ZERO;
    onPath.add(key);
    const node = selectionCost(fragment.selectionSet, typeNamed(fragment.typeCondition.name.value, undefined), inPage);
    onPath.delete(key);
    compiled.set(key, node);
    return node;
  };

  const selectionCost = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType | undefined, inPage: boolean): CostNode => {
    let constant = 0;
    const parts: Array<CostNode['parts'][number]> = [];
    const add = (factor: number, variable: string | undefined, node: CostNode): void => {
      if (variable === undefined && node.parts.length === 0) constant += factor * node.constant;
      else parts.push({ factor, variable, node });
    };
    for (const selection of selectionSet.selections) {
      switch (selection.kind) {
        case Kind.FIELD: {
          constant += 1;
          const name = selection.name.value;
          if (!selection.selectionSet || INTROSPECTION_ROOTS.has(name)) break;
          const definition = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
          const isList = definition !== undefined && isListType(getNullableType(definition.type));
          const named = definition && getNamedType(definition.type);
          const child = named && isCompositeType(named) ? named : undefined;
          const size = selection.arguments?.find((arg) => SIZE_ARGUMENTS.has(arg.name.value));
          const multiplier = multiplierOf(size, isList, inPage);
          // A connection (not a list, but sized by an argument): the lists inside it are its page.
          const node = selectionCost(selection.selectionSet, child, !isList && size !== undefined);
          if (typeof multiplier === 'number') add(multiplier, undefined, node);
          else add(1, multiplier.variable, node);
          break;
        }
        case Kind.INLINE_FRAGMENT:
          add(1, undefined, selectionCost(selection.selectionSet, typeNamed(selection.typeCondition?.name.value, parent), inPage));
          break;
        case Kind.FRAGMENT_SPREAD:
          add(1, undefined, fragmentCost(selection.name.value, inPage));
          break;
      }
    }
    return { constant, parts };
  };

  return selectionCost(operation.selectionSet, schema.getRootType(operation.operation) ?? undefined, false);
}

/** True when the cost is the same whatever the variables: evaluating it is free. */
export function isConstantCost(node: CostNode): boolean {
  return node.parts.length === 0;
}

/**
 * The cost with this request's (coerced) variables; a size variable left null or unset counts
 * DEFAULT_LIST_SIZE. Shared nodes are evaluated once.
 */
export function evaluateCost(node: CostNode, variables: Readonly<Record<string, unknown>>, memo = new Map<CostNode, number>()): number {
  if (node.parts.length === 0) return node.constant;
  const known = memo.get(node);
  if (known !== undefined) return known;
  let total = node.constant;
  for (const part of node.parts) {
    let size = 1;
    if (part.variable !== undefined) {
      const value = variables[part.variable];
      size = typeof value === 'number' ? Math.max(0, value) : DEFAULT_LIST_SIZE;
    }
    total += part.factor * size * evaluateCost(part.node, variables, memo);
  }
  memo.set(node, total);
  return total;
}
