/**
 * Helpers for the "sessions end when they should" tests: raw GraphQL over HTTP (the admin
 * mutations have no SDK document) and a raw graphql-ws socket whose close code is observed.
 */
import WebSocket from 'ws';

export interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** Posts one operation to `url` with `token` (a JWT or an API key) and returns the body. */
export async function gql(
  url: string,
  token: string | undefined,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GraphQLAnswer;
}

/** The first error code of an answer, or undefined when it has none. */
export function codeOf(answer: GraphQLAnswer): string | undefined {
  return answer.errors?.[0]?.extensions?.code;
}

/** Data of an answer that must have succeeded. */
export function dataOf<T>(answer: GraphQLAnswer): T {
  if (answer.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(answer.errors)}`);
  return answer.data as T;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Repeats `attempt` until it answers with an error code, at most `tries` times 50 ms apart; the
 * code, or undefined when every attempt succeeded (a revocation that never takes effect).
 */
export async function codeWhenRefused(attempt: () => Promise<GraphQLAnswer>, tries = 100): Promise<string | undefined> {
  for (let i = 0; i < tries; i++) {
    const code = codeOf(await attempt());
    if (code !== undefined) return code;
    await sleep(50);
  }
  return undefined;
}

/**
 * Repeats `attempt` until it answers without an error, at most `tries` times 50 ms apart; the
 * last code, or undefined once it succeeded (a change the routers take up to PRINCIPAL_CACHE_MS to see).
 */
export async function codeOnceAccepted(attempt: () => Promise<GraphQLAnswer>, tries = 100): Promise<string | undefined> {
  let code: string | undefined;
  for (let i = 0; i < tries; i++) {
    code = codeOf(await attempt());
    if (code === undefined) return undefined;
    await sleep(50);
  }
  return code;
}

/** An authenticated graphql-ws socket to the router. */
export interface OpenSocket {
  /** Resolves with the close code, or `'still open'` if the socket is still open after `boundMs`. */
  closedWithin(boundMs: number): Promise<number | 'still open'>;
  close(): void;
}

/** Opens a graphql-ws socket with `token` and waits for `connection_ack`. */
export async function openSocket(url: string, token: string): Promise<OpenSocket> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    ws.on('message', (raw) => {
      if ((JSON.parse(String(raw)) as { type?: string }).type === 'connection_ack') resolve();
    });
    ws.once('error', reject);
    void closed.then((code) => reject(new Error(`socket closed before connection_ack (${code})`)));
  });
  return {
    async closedWithin(boundMs) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<'still open'>((resolve) => (timer = setTimeout(() => resolve('still open'), boundMs)));
      const outcome = await Promise.race([closed, bound]);
      clearTimeout(timer);
      return outcome;
    },
    close: () => ws.close(),
  };
}
