import type { GraphQLResponse } from '@chatgraph/kit';

/** Expects success and returns `data[field]`; any error fails the test with the errors in the message. */
export function ok<T>(res: GraphQLResponse<Record<string, unknown>>, field: string): T {
  if (res.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(res.errors)}`);
  return res.data?.[field] as T;
}

/** Any GraphQL answer with errors: a subgraph's `GraphQLResponse`, or a body read from `fetch`. */
export interface WithErrors {
  errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> | null;
}

/** The first error's code (`extensions.code`), undefined on success. */
export function codeOf(res: WithErrors): unknown {
  return res.errors?.[0]?.extensions?.code;
}

/**
 * Expects the response to fail with `code` as its first error's code; the message shows the whole
 * response otherwise, so a wrong code or an unexpected success reads at once.
 */
export function expectCode(res: WithErrors, code: string): void {
  const actual = codeOf(res);
  if (actual !== code) throw new Error(`expected error code ${code}, got ${String(actual)}: ${JSON.stringify(res)}`);
}
