import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/**
 * A real MCP server (the SDK's `McpServer` over its Streamable HTTP server transport, one session
 * per client as a stateful server keeps them) on a local port, for the MCP tool tests and the
 * bench. Its tools: `echo`, `add`, `slow` (answers only when cancelled), `huge` (a text of `bytes`
 * bytes), `fail` (an `isError` result), `throws` (a handler that throws), `stats` (structured content only),
 * `picture` (a text and an image), `flood` (notifications until cancelled), `bad.name` (a name no
 * model tool may have). It counts what it saw so tests assert on behaviour, not on time.
 */
export class McpTestServer {
  /** `tools/list` requests received. */
  listCalls = 0;
  /** Sessions opened (`initialize` requests received). */
  initializeCalls = 0;
  /** `tools/call` requests received, by tool (those refused for an unknown session included). */
  readonly calls = new Map<string, number>();
  /** Times the `echo` tool actually ran. */
  echoRuns = 0;
  /** `slow` calls the client cancelled (the handler's signal fired). */
  cancelled = 0;
  /** Value of the `x-api-key` header on the last request. */
  lastApiKey: string | undefined;
  private http: Server | undefined;
  private readonly sessions = new Map<string, StreamableHTTPServerTransport>();
  private slowStarted: Array<() => void> = [];

  /** The MCP endpoint (valid once started). */
  url = '';

  /** Listens on `port` (0: a free one; give the old port to "restart" the server). */
  async start(port = 0): Promise<string> {
    const http = createServer((req, res) => {
      void this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(error));
      });
    });
    await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
    this.http = http;
    this.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
    return this.url;
  }

  /** The port it listens on. */
  get port(): number {
    return Number(new URL(this.url).port);
  }

  /**
   * Forgets every session while still listening: what a client meets when the server restarted
   * while it was idle, or another instance behind the same address answers (HTTP 404 on its session).
   */
  async forgetSessions(): Promise<void> {
    const transports = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(transports.map((transport) => transport.close().catch(() => undefined)));
  }

  /** Stops listening and forgets every session, as a crashed server would. */
  async stop(): Promise<void> {
    const http = this.http;
    this.http = undefined;
    await this.forgetSessions();
    if (!http) return;
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }

  /** Resolves once a `slow` call is running on the server. */
  whenSlowStarted(): Promise<void> {
    return new Promise((resolve) => this.slowStarted.push(resolve));
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    this.lastApiKey = req.headers['x-api-key'] as string | undefined;
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    this.count(body);
    const sessionId = req.headers['mcp-session-id'];
    let transport = typeof sessionId === 'string' ? this.sessions.get(sessionId) : undefined;
    if (!transport) {
      if (typeof sessionId === 'string' || !isInitializeRequest(body)) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
        return;
      }
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void this.sessions.set(id, created),
      });
      created.onclose = () => {
        if (created.sessionId) this.sessions.delete(created.sessionId);
      };
      await this.mcpServer().connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, body);
  }

  private count(body: unknown): void {
    for (const message of Array.isArray(body) ? body : [body]) {
      const { method, params } = (message ?? {}) as { method?: string; params?: { name?: string } };
      if (method === 'tools/list') this.listCalls += 1;
      if (method === 'initialize') this.initializeCalls += 1;
      if (method === 'tools/call' && params?.name) this.calls.set(params.name, (this.calls.get(params.name) ?? 0) + 1);
    }
  }

  private mcpServer(): McpServer {
    const server = new McpServer({ name: 'test-tools', version: '1.0.0' }, { capabilities: { logging: {} } });
    server.registerTool('echo', { description: 'Echoes its text', inputSchema: { text: z.string() } }, ({ text }) => {
      this.echoRuns += 1;
      return { content: [{ type: 'text', text }] };
    });
    server.registerTool('add', { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) => ({
      content: [{ type: 'text', text: String(a + b) }],
    }));
    server.registerTool('slow', { description: 'Answers only when cancelled' }, (extra) => {
      for (const started of this.slowStarted.splice(0)) started();
      return new Promise((resolve) => {
        extra.signal.addEventListener('abort', () => {
          this.cancelled += 1;
          resolve({ content: [{ type: 'text', text: 'cancelled' }] });
        });
      });
    });
    server.registerTool('flood', { description: 'Sends log notifications on its response stream until cancelled' }, async (extra) => {
      const line = 'y'.repeat(10_000);
      while (!extra.signal.aborted) {
        await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: line } }).catch(() => undefined);
        await new Promise((resolve) => setImmediate(resolve));
      }
      this.cancelled += 1;
      return { content: [{ type: 'text', text: 'stopped' }] };
    });
    server.registerTool('huge', { description: 'A long text', inputSchema: { bytes: z.number().int() } }, ({ bytes }) => ({
      content: [{ type: 'text', text: 'x'.repeat(bytes) }],
    }));
    server.registerTool('fail', { description: 'Always fails' }, () => ({
      isError: true,
      content: [{ type: 'text', text: 'the forecast service is closed today' }],
    }));
    server.registerTool('throws', { description: 'Its handler throws' }, () => {
      throw new Error('handler exploded');
    });
    server.registerTool('stats', { description: 'Structured content only', outputSchema: { count: z.number() } }, () => ({
      content: [],
      structuredContent: { count: 3 },
    }));
    server.registerTool('picture', { description: 'A caption and an image' }, () => ({
      content: [
        { type: 'text', text: 'a red dot' },
        { type: 'image', data: Buffer.from('png').toString('base64'), mimeType: 'image/png' },
      ],
    }));
    server.registerTool('bad.name', { description: 'A name no model tool may have' }, () => ({ content: [] }));
    return server;
  }
}

/** The SDK's client used bare (no tool source around it): the bench's protocol-only baseline. */
export async function connectBareClient(
  url: string,
): Promise<{ call(name: string, args: Record<string, unknown>): Promise<unknown>; close(): Promise<void> }> {
  const client = new Client({ name: 'bare', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return { call: (name, args) => client.callTool({ name, arguments: args }), close: () => client.close() };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}
