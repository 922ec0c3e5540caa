import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually } from './http';

/** How a subscription ended, as the graphql-ws client reports it. */
export type Ending =
  | { kind: 'complete' }
  /** An `error` message: the errors the router sent. */
  | { kind: 'error'; errors: Array<{ message: string; extensions?: Record<string, unknown> }> }
  /** The socket closed. */
  | { kind: 'closed'; code: number; reason: string };

export interface Collected {
  readonly events: Array<FormattedExecutionResult<Record<string, unknown>, unknown>>;
  /** Resolves when the subscription ends, however it ends. */
  readonly ended: Promise<Ending>;
  /** Waits (polling, no wall-clock assertion) until at least `count` events arrived. */
  received(count: number): Promise<void>;
  unsubscribe(): void;
}

export interface TestWsClient {
  readonly client: Client;
  /** The sockets this client opened, newest last: tests pause one to make a slow consumer. */
  readonly sockets: WebSocket[];
  /** Close codes (and reasons) of this client's sockets, in order. */
  readonly closes: Array<{ code: number; reason: string }>;
  subscribe(query: string, variables?: Record<string, unknown>): Collected;
  dispose(): Promise<void>;
}

function endingOf(err: unknown): Ending {
  if (Array.isArray(err)) return { kind: 'error', errors: err as Array<{ message: string; extensions?: Record<string, unknown> }> };
  const event = err as { code?: unknown; reason?: unknown } | null;
  if (event && typeof event.code === 'number') return { kind: 'closed', code: event.code, reason: String(event.reason ?? '') };
  throw err instanceof Error ? err : new Error(`unexpected subscription failure: ${String(err)}`);
}

/** A real graphql-ws client (the `graphql-ws` package over `ws`) of the router's `/graphql`. */
export function wsClient(routerUrl: string, connectionParams?: Record<string, unknown>): TestWsClient {
  const sockets: WebSocket[] = [];
  const closes: Array<{ code: number; reason: string }> = [];
  class TrackedWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      sockets.push(this);
    }
  }
  const client = createClient({
    url: `${routerUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: TrackedWebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
    // Keeps the socket after the last subscription ends, so the close code seen is the router's.
    lazyCloseTimeout: 60_000,
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: unknown };
        closes.push({ code, reason: String(reason) });
      },
    },
  });
  return {
    client,
    sockets,
    closes,
    subscribe(query, variables) {
      const events: Collected['events'] = [];
      let resolveEnded!: (ending: Ending) => void;
      let failEnded!: (err: unknown) => void;
      const ended = new Promise<Ending>((resolve, reject) => {
        resolveEnded = resolve;
        failEnded = reject;
      });
      const unsubscribe = client.subscribe<Record<string, unknown>>(
        { query, variables },
        {
          next: (event) => events.push(event),
          error: (err) => {
            try {
              resolveEnded(endingOf(err));
            } catch (unexpected) {
              failEnded(unexpected);
            }
          },
          complete: () => resolveEnded({ kind: 'complete' }),
        },
      );
      return {
        events,
        ended,
        unsubscribe,
        received: async (count) => {
          await eventually(async () => (events.length >= count ? true : undefined));
        },
      };
    },
    dispose: async () => {
      await client.dispose();
    },
  };
}

/** The code of the first error of an `error` ending, or the close code. */
export function endCode(ending: Ending): unknown {
  if (ending.kind === 'error') return ending.errors[0]?.extensions?.code;
  if (ending.kind === 'closed') return ending.code;
  return 'complete';
}
