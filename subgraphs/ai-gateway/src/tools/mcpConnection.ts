import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { McpServerConfig } from './mcpConfig';
import { cappedFetch } from './mcpWireCap';

/** How ai-gateway introduces itself to MCP servers. */
const CLIENT_INFO = { name: 'chatgraph-ai-gateway', version: '0.1.0' };

/**
 * The one MCP session ai-gateway keeps with a server, opened on first use (a registered server
 * that no turn uses is never contacted, and a server that is down at start-up delays nothing).
 * Concurrent callers share one connection attempt. A connection found broken is dropped
 * (`discard`), so the next call opens a new session: that is how a restarted server, which no
 * longer knows the old session, is reached again.
 */
export class McpConnection {
  private current: Promise<Client> | undefined;
  /** The client `current` resolved to, once connected (so `discard` acts synchronously). */
  private open: Client | undefined;
  /** Bumped on every new session, so the tool list cached for an older one is re-read. */
  private generation = 0;

  constructor(
    private readonly server: McpServerConfig,
    private readonly connectTimeoutMs: number,
  ) {}

  /** Number of sessions opened so far (the tool list is cached per session). */
  get sessions(): number {
    return this.generation;
  }

  /** The connected client, connecting if needed; rejects with the caller's abort reason when `signal` fires first. */
  client(signal: AbortSignal): Promise<Client> {
    this.current ??= this.connect();
    return raceAbort(this.current, signal);
  }

  /** Drops `client`'s session if it is still the current one, at once (the next `client()` reconnects). */
  discard(client: Client): void {
    if (this.open !== client) return;
    this.open = undefined;
    this.current = undefined;
    void client.close().catch(() => undefined);
  }

  /** Closes the session (terminating it on the server when possible). */
  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    this.open = undefined;
    const client = await current?.catch(() => undefined);
    await client?.close().catch(() => undefined);
  }

  private connect(): Promise<Client> {
    const transport = new StreamableHTTPClientTransport(new URL(this.server.url), {
      requestInit: this.server.headers ? { headers: this.server.headers } : undefined,
      // Bounds what one tool call may make us read (see mcpWireCap.ts).
      fetch: cappedFetch,
      // The standalone GET stream is only for server-initiated messages we do not use; a short
      // retry budget keeps a dead server from being polled for long.
      reconnectionOptions: { initialReconnectionDelay: 1_000, maxReconnectionDelay: 5_000, reconnectionDelayGrowFactor: 2, maxRetries: 1 },
    });
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    const attempt = client
      .connect(transport, { timeout: this.connectTimeoutMs })
      .then(() => {
        this.generation += 1;
        if (this.current === attempt) this.open = client;
        // The server closed the session (or the transport gave up): reconnect on next use.
        client.onclose = () => this.discard(client);
        return client;
      })
      .catch(async (error: unknown) => {
        if (this.current === attempt) this.current = undefined;
        await client.close().catch(() => undefined);
        throw error;
      });
    return attempt;
  }
}

/** `promise`, or a rejection with `signal`'s reason as soon as it aborts (the promise itself runs on). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
