import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

export * from './generated/graphql';

/** A GraphQL error as the router returns it: `extensions.code` is one of the codes in docs/api.md. */
export interface ChatGraphErrorEntry {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

export class ChatGraphError extends Error {
  readonly errors: ChatGraphErrorEntry[];
  readonly status: number;
  constructor(status: number, errors: ChatGraphErrorEntry[]) {
    super(errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
    this.name = 'ChatGraphError';
    this.status = status;
    this.errors = errors;
  }

  /** The first error's code, e.g. `UNAUTHENTICATED`. */
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

export interface ClientOptions {
  /** The router's `/graphql` URL. */
  url: string;
  /** An access token (JWT) or an API key; sent as `Authorization: Bearer`. */
  token?: string | (() => string | undefined);
  fetch?: typeof fetch;
}

/** A typed client: operations come from `clients/sdk/src/operations/*.graphql` via codegen. */
export function createClient(options: ClientOptions) {
  const doFetch = options.fetch ?? fetch;
  return {
    async request<TData, TVariables>(
      document: TypedDocumentNode<TData, TVariables>,
      ...[variables]: TVariables extends Record<string, never> ? [] | [TVariables] : [TVariables]
    ): Promise<TData> {
      const token = typeof options.token === 'function' ? options.token() : options.token;
      const res = await doFetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query: print(document), variables }),
      });
      const body = (await res.json()) as { data?: TData; errors?: ChatGraphErrorEntry[] };
      if (body.errors?.length) throw new ChatGraphError(res.status, body.errors);
      if (!body.data) throw new ChatGraphError(res.status, [{ message: 'empty response', extensions: { code: 'INTERNAL' } }]);
      return body.data;
    },
  };
}

export type ChatGraphClient = ReturnType<typeof createClient>;
