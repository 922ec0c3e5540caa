import { createClient, type Client } from 'graphql-sse';
import { eventually } from './http';

type Result = { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

/** A graphql-sse subscription as a test reads it: every result, and how it ended. */
export interface SseCollected {
  readonly events: Result[];
  /** Resolves when the operation ends: `complete` (after any error results), or a client error. */
  readonly ended: Promise<{ kind: 'complete' } | { kind: 'failed'; error: unknown }>;
  received(count: number): Promise<void>;
  unsubscribe(): void;
}

/**
 * A `graphql-sse` client (distinct connections mode, the package's default) of the router at
 * `baseUrl`, sending `Authorization: Bearer <token>` when given; no retries, so a refusal shows at once.
 */
export function sseClient(baseUrl: string, token?: string, headers: Record<string, string> = {}): Client {
  return createClient({
    url: `${baseUrl}/graphql`,
    headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    retryAttempts: 0,
  });
}

/** Subscribes with `client` and collects. */
export function sseSubscribe(client: Client<boolean>, query: string, variables?: Record<string, unknown>): SseCollected {
  const events: Result[] = [];
  let unsubscribe: () => void = () => undefined;
  const ended = new Promise<{ kind: 'complete' } | { kind: 'failed'; error: unknown }>((resolve) => {
    unsubscribe = client.subscribe<Record<string, unknown>>(
      { query, variables },
      {
        next: (result) => void events.push(result as Result),
        error: (error) => resolve({ kind: 'failed', error }),
        complete: () => resolve({ kind: 'complete' }),
      },
    );
  });
  return {
    events,
    ended,
    received: async (count) => {
      await eventually(async () => (events.length >= count ? true : undefined));
    },
    unsubscribe: () => unsubscribe(),
  };
}
