import { Context } from 'mingo/core';
import * as queryOperators from 'mingo/operators/query';
import { Query } from 'mingo/query';

/**
 * mingo queries with the query operators only. A `Query` copies the operator tables of the
 * context it is given; mingo's default context holds every operator it has (expressions,
 * accumulators, pipeline stages: hundreds), and that copy was the largest cost of a filter — a
 * cost every store operation pays, since each compiles its filter. Filters here use query
 * operators only (`checkFilter` refuses the rest), and `$and`/`$or` compile their clauses with
 * the same context.
 */
const QUERY_CONTEXT = Context.init({ query: queryOperators });

/** Compiles a (checked) condition; scripts are off: the operator check already refuses $where, this is belt and braces. */
export function compileQuery(condition: Record<string, unknown>): Query {
  return new Query(condition, { scriptEnabled: false, context: QUERY_CONTEXT });
}
