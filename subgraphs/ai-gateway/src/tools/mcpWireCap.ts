import { AsyncLocalStorage } from 'node:async_hooks';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

/**
 * A bound on the bytes one tool call may make ai-gateway read from the server. The result cap
 * (`maxResultBytes`) is checked on the decoded result, which the SDK only hands over once it has
 * read the whole response: without this, a server sending a gigabyte (or an endless stream of
 * notifications on the call's response stream) would be buffered first. The HTTP responses a call
 * causes are tied to it through the async context of the `fetch` the SDK makes for it.
 */

interface CallScope {
  readonly limit: number;
  readonly exceeded: () => void;
}

const scopes = new AsyncLocalStorage<CallScope>();

/** Runs `work` (a tool call) so that its responses past `limit` bytes call `exceeded` and fail. */
export function withWireCap<T>(limit: number, exceeded: () => void, work: () => Promise<T>): Promise<T> {
  return scopes.run({ limit, exceeded }, work);
}

/** Raised in the response stream of a call past its bound. */
export class WireCapExceeded extends Error {
  constructor(limit: number) {
    super(`response larger than ${limit} bytes`);
    this.name = 'WireCapExceeded';
  }
}

/**
 * The bound for a result cap: room for JSON escaping (up to 6 bytes a character) of the text and
 * of the structured copy servers often add, plus the envelope and a few notifications.
 */
export function wireCapFor(maxResultBytes: number): number {
  return maxResultBytes * 12 + 65_536;
}

/** `fetch` that bounds the body of responses made inside `withWireCap`; others pass untouched. */
export const cappedFetch: FetchLike = async (url, init) => {
  const scope = scopes.getStore();
  const response = await fetch(url, init);
  if (!scope || !response.body) return response;
  let seen = 0;
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > scope.limit) {
          scope.exceeded();
          controller.error(new WireCapExceeded(scope.limit));
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
};
