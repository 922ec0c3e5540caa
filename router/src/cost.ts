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

/**
 * Page size assumed for a paginated field (one declaring `first`/`last`/`limit`) called without
 * one, or with a variable left unset: the largest default page of the subgraphs (`branch` and
 * `messages` return 50), so a call without arguments is never cheaper than what it returns.
 */
export const DEFAULT_PAGE_SIZE = 50;

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
  readonly parts: ReadonlyArray<CostPart>;
}

/**
 * A selection multiplied by a size known only with the variables: `base` (the literal sizes) plus
 * the values of `variables`; `fallback` when there is no literal and every variable is null or unset.
 */
export interface CostPart {
  readonly base: number;
  readonly variables: readonly string[];
  readonly fallback: number;
  readonly node: CostNode;
}

const ZERO: CostNode = { constant: 0, parts: [] };

/** A field's multiplier: a number, or a size that depends on variables (`node` filled in later). */
type Multiplier = number | Omit<CostPart, 'node'>;

/**
 * The multiplier of a field from its size arguments (`first`, `last`, `limit`; null literals
 * ignored). They are summed: `first` and `last` together are refused by the subgraphs, and
 * summing means a null variable for one cannot hide the other's size. Without any, a paginated
 * field (one declaring a size argument) counts DEFAULT_PAGE_SIZE, a list DEFAULT_LIST_SIZE (or 1
 * right inside a page), anything else 1.
 */
function multiplierOf(sizes: readonly ArgumentNode[], isList: boolean, inPage: boolean, paged: boolean): Multiplier {
  const unset = paged ? DEFAULT_PAGE_SIZE : DEFAULT_LIST_SIZE;
  if (sizes.length > 0) {
    let base = 0;
    const variables: string[] = [];
    for (const size of sizes) {
      if (size.value.kind === Kind.INT) base += Math.max(0, Number(size.value.value));
      else if (size.value.kind === Kind.VARIABLE) variables.push(size.value.name.value);
      else base += unset;
    }
    return variables.length === 0 ? base : { base, variables, fallback: unset };
  }
  // A connection called without a size returns the subgraph's default page.
  if (paged) return DEFAULT_PAGE_SIZE;
  // A list right inside a paginated connection (`users(first: 50) { edges { ... } }`) is that page.
  if (isList) return inPage ? 1 : DEFAULT_LIST_SIZE;
  return 1;
}

/**
 * Compiles an operation's cost: each field costs 1; a field returning a list, or taking a
 * `first`/`last`/`limit` argument, multiplies the cost of its selection by that argument
 * (a literal or a variable), by DEFAULT_PAGE_SIZE when a paginated field has none, or by
 * DEFAULT_LIST_SIZE when a list has none. Fragments are
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
    const parts: CostPart[] = [];
    const add = (multiplier: Multiplier, node: CostNode): void => {
      if (typeof multiplier !== 'number') parts.push({ ...multiplier, node });
      else if (node.parts.length === 0) constant += multiplier * node.constant;
      else parts.push({ base: multiplier, variables: [], fallback: 0, node });
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
          const sizes = selection.arguments?.filter((arg) => SIZE_ARGUMENTS.has(arg.name.value) && arg.value.kind !== Kind.NULL) ?? [];
          const paged = definition !== undefined && definition.args.some((arg) => SIZE_ARGUMENTS.has(arg.name));
          // A connection (not a list, but sized by an argument): the lists inside it are its page.
          const node = selectionCost(selection.selectionSet, child, !isList && (sizes.length > 0 || paged));
          add(multiplierOf(sizes, isList, inPage, paged), node);
          break;
        }
        case Kind.INLINE_FRAGMENT:
          add(1, selectionCost(selection.selectionSet, typeNamed(selection.typeCondition?.name.value, parent), inPage));
          break;
        case Kind.FRAGMENT_SPREAD:
          add(1, fragmentCost(selection.name.value, inPage));
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
 * DEFAULT_PAGE_SIZE on a paginated field, DEFAULT_LIST_SIZE on a list. Shared nodes are evaluated once.
 */
export function evaluateCost(node: CostNode, variables: Readonly<Record<string, unknown>>, memo = new Map<CostNode, number>()): number {
  if (node.parts.length === 0) return node.constant;
  const known = memo.get(node);
  if (known !== undefined) return known;
  let total = node.constant;
  for (const part of node.parts) {
    let size = part.base;
    let given = part.base > 0;
    for (const name of part.variables) {
      const value = variables[name];
      if (typeof value !== 'number') continue;
      size += Math.max(0, value);
      given = true;
    }
    if (!given && part.variables.length > 0) size = part.fallback;
    total += size * evaluateCost(part.node, variables, memo);
  }
  memo.set(node, total);
  return total;
}
