import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { codedError, signConnectionParams, type Logger, type Principal } from '@chatgraph/kit';

/** What is sent to the owning subgraph: the primary fetch of the plan. */
export interface UpstreamRequest {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown>;
}

/** One event as the subgraph sent it (JSON: errors are formatted errors). */
export type UpstreamEvent = FormattedExecutionResult<Record<string, unknown>, unknown>;

/** Receives one upstream subscription's events; exactly one of `error` or `complete` ends it. */
export interface UpstreamSink {
  next(event: UpstreamEvent): void;
  /** The subscription failed: the subgraph's coded errors, or UNAVAILABLE when the connection was lost. */
  error(errors: readonly GraphQLError[]): void;
  complete(): void;
}

export interface UpstreamConnectionsOptions {
  signingSecret: string;
  logger: Logger;
  /** How long a connection without subscriptions stays open for the next one. */
  idleMs: number;
  /** Ping interval detecting a dead subgraph. Default 12000. */
  keepAliveMs?: number;
}

interface PooledClient {
  readonly client: Client;
  active: number;
  idle: NodeJS.Timeout | undefined;
}

const FORBIDDEN_CLOSE = 4403;

function isFormattedErrors(value: unknown): value is GraphQLFormattedError[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((e) => e !== null && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string')
  );
}

function closeCodeOf(value: unknown): number | undefined {
  const code = value !== null && typeof value === 'object' ? (value as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The router's graphql-ws connections to subgraphs: one per (subgraph URL, principal), because a
 * subgraph learns the principal from the signed `connection_init` of the connection. Connections
 * are opened on the first subscription (graphql-ws `lazy`), never retried (a lost connection ends
 * its subscriptions with UNAVAILABLE, and the clients resubscribe), and closed once idle.
 */
export class UpstreamConnections {
  private readonly pool = new Map<string, PooledClient>();

  constructor(private readonly options: UpstreamConnectionsOptions) {}

  /** Connections held (open, opening, or idle before closing). */
  get size(): number {
    return this.pool.size;
  }

  /** Subscribes on the connection of (url, principal); the function returned unsubscribes. */
  subscribe(url: string, principal: Principal, request: UpstreamRequest, sink: UpstreamSink): () => void {
    const pooled = this.connection(url, principal);
    pooled.active++;
    if (pooled.idle) {
      clearTimeout(pooled.idle);
      pooled.idle = undefined;
    }
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      if (--pooled.active === 0) this.scheduleIdle(url, principal, pooled);
    };
    const unsubscribe = pooled.client.subscribe<Record<string, unknown>>(
      { query: request.query, operationName: request.operationName, variables: request.variables },
      {
        next: (result) => {
          if (!done) sink.next(result);
        },
        error: (err: unknown) => {
          if (done) return;
          release();
          sink.error(this.errorsOf(err, url));
        },
        complete: () => {
          if (done) return;
          release();
          sink.complete();
        },
      },
    );
    return () => {
      if (done) return;
      release();
      unsubscribe();
    };
  }

  /** Closes every connection (their subscriptions end without a callback). */
  async close(): Promise<void> {
    const clients = [...this.pool.values()];
    this.pool.clear();
    await Promise.all(
      clients.map(async (pooled) => {
        if (pooled.idle) clearTimeout(pooled.idle);
        await pooled.client.dispose();
      }),
    );
  }

  private connection(url: string, principal: Principal): PooledClient {
    const key = `${url}\n${JSON.stringify(principal)}`;
    const known = this.pool.get(key);
    if (known) return known;
    const { signingSecret } = this.options;
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      // Signed at every (re)connect, so the signature's timestamp is always fresh.
      connectionParams: () => signConnectionParams(signingSecret, principal),
      lazy: true,
      lazyCloseTimeout: this.options.idleMs,
      retryAttempts: 0,
      keepAlive: this.options.keepAliveMs ?? 12_000,
      // A subgraph that accepts the socket but never acknowledges it fails its subscriptions (UNAVAILABLE).
      connectionAckWaitTimeout: 10_000,
    });
    const pooled: PooledClient = { client, active: 0, idle: undefined };
    this.pool.set(key, pooled);
    return pooled;
  }

  private scheduleIdle(url: string, principal: Principal, pooled: PooledClient): void {
    const key = `${url}\n${JSON.stringify(principal)}`;
    pooled.idle = setTimeout(() => {
      if (pooled.active > 0 || this.pool.get(key) !== pooled) return;
      this.pool.delete(key);
      void pooled.client.dispose();
    }, this.options.idleMs);
    pooled.idle.unref();
  }

  /** The subgraph's own errors keep their codes; a lost or refused connection is UNAVAILABLE. */
  private errorsOf(err: unknown, url: string): GraphQLError[] {
    if (isFormattedErrors(err)) {
      return err.map((e) => new GraphQLError(e.message, { extensions: e.extensions as Record<string, unknown> | undefined }));
    }
    const code = closeCodeOf(err);
    if (code === FORBIDDEN_CLOSE) {
      // Subgraphs close with 4403 only when they refuse the router's own signature: a deployment fault.
      this.options.logger.error({ url }, "subgraph refused the router's subscription signature; check INTERNAL_SIGNING_SECRET and clocks");
      return [new GraphQLError('Internal error', { originalError: new Error(`subgraph ${url} refused the router's signature`) })];
    }
    this.options.logger.warn(
      { url, code, reason: (err as { reason?: unknown } | null)?.reason, err: err instanceof Error ? err : undefined },
      'subgraph subscription connection lost',
    );
    return [codedError('UNAVAILABLE', 'A service is unavailable, try again')];
  }
}
