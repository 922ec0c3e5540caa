import { createServer } from 'node:net';

/** A GraphQL response as a client sees it. */
export interface GraphQLResult {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
  };
}

export interface GraphQLRequestOptions {
  variables?: Record<string, unknown>;
  /** Sent as `Authorization: Bearer <token>` (a JWT or an API key). */
  token?: string;
  headers?: Record<string, string>;
}

/** POSTs an operation to a GraphQL endpoint, exactly as a client would. */
export async function postGraphQL(url: string, query: string, options: GraphQLRequestOptions = {}): Promise<GraphQLResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables: options.variables }) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResult['body'] };
}

/** The first error's code, for terse assertions. */
export function errorCode(result: GraphQLResult): unknown {
  return result.body.errors?.[0]?.extensions?.code;
}

/** A base URL on which nothing listens (a port that was just free), for "service down" cases. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

/**
 * Polls until `check` returns a value other than undefined, or fails after `attempts` tries.
 * Tests wait for behaviour this way instead of asserting on elapsed time.
 */
export async function eventually<T>(check: () => Promise<T | undefined>, { attempts = 200, intervalMs = 25 } = {}): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`condition not met after ${attempts} attempts${lastError ? `: ${String(lastError)}` : ''}`);
}
