import type { Logger } from '@chatgraph/kit';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, ErrorCode, McpError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { mayUseServer, type RoleLookup } from './mcpAccess';
import type { McpServerConfig } from './mcpConfig';
import { McpConnection, raceAbort } from './mcpConnection';
import { exposedToolName, mcpToolPrefix } from './mcpNames';
import { excerpt, resultText, utf8Bytes } from './mcpResult';
import { wireCapFor, withWireCap } from './mcpWireCap';
import type { ToolCallContext, ToolDefinition, ToolOutcome, ToolSource } from './types';

/** The limits and collaborators of one MCP server's tool source. */
export interface McpToolSourceOptions {
  server: McpServerConfig;
  /** Used when the server sets no `timeoutMs`. */
  timeoutMs: number;
  /** Used when the server sets no `maxResultBytes`. */
  maxResultBytes: number;
  /** How long a tool list is reused. */
  listTtlMs: number;
  roleOf: RoleLookup;
  logger: Logger;
  /** The clock of the list cache (tests pin it). */
  now?: () => number;
}

interface ListedTool {
  readonly tool: Tool;
  readonly definition: ToolDefinition;
}

interface ToolList {
  readonly at: number;
  readonly session: number;
  readonly tools: ReadonlyMap<string, ListedTool>;
}

type Failure = Extract<ToolOutcome, { ok: false }>;

/**
 * One registered MCP server as a `ToolSource`: its tools are offered as `mcp__<server>__<tool>`
 * to the users the server admits, and each call is made over the server's Streamable HTTP
 * session with the server's time and size limits. Every failure — the tool's own, the protocol's,
 * a server that is down — is a coded outcome whose summary names the server and tool but never
 * its URL or an internal error (those are logged).
 */
export class McpToolSource implements ToolSource {
  /** Every tool name of this source starts with it. */
  readonly prefix: string;
  private readonly connection: McpConnection;
  private readonly timeoutMs: number;
  private readonly maxResultBytes: number;
  private readonly now: () => number;
  private list: ToolList | undefined;
  private listing: Promise<ToolList> | undefined;

  constructor(private readonly options: McpToolSourceOptions) {
    this.prefix = mcpToolPrefix(options.server.name);
    this.timeoutMs = options.server.timeoutMs ?? options.timeoutMs;
    this.maxResultBytes = options.server.maxResultBytes ?? options.maxResultBytes;
    this.now = options.now ?? Date.now;
    this.connection = new McpConnection(options.server, this.timeoutMs);
  }

  /** The registered server's name. */
  get serverName(): string {
    return this.options.server.name;
  }

  /** Whether `name` is one of this server's (exposed) tool names, listed or not. */
  owns(name: string): boolean {
    return name.startsWith(this.prefix);
  }

  async definitions(names: readonly string[], ctx: Omit<ToolCallContext, 'signal'>): Promise<ToolDefinition[]> {
    const wanted = names.filter((name) => this.owns(name));
    // Nothing of this server enabled: do not contact it at all.
    if (wanted.length === 0) return [];
    if (!(await mayUseServer(this.options.server, ctx.userId, this.options.roleOf))) return [];
    let list: ToolList;
    try {
      list = await this.tools(AbortSignal.timeout(this.timeoutMs));
    } catch (error) {
      // A turn must not fail because one server is down: it goes on with the last list seen, or without these tools.
      this.options.logger.warn({ err: error, mcpServer: this.serverName }, 'MCP server tools not listed');
      if (!this.list) return [];
      list = this.list;
    }
    return wanted.flatMap((name) => {
      const listed = list.tools.get(name);
      return listed ? [listed.definition] : [];
    });
  }

  async call(name: string, args: unknown, ctx: ToolCallContext): Promise<ToolOutcome> {
    if (!this.owns(name)) return this.unknown(name);
    if (!(await mayUseServer(this.options.server, ctx.userId, this.options.roleOf))) {
      return { ok: false, code: 'TOOL_FORBIDDEN', summary: `You may not use the tools of MCP server "${this.serverName}"` };
    }
    if (!isPlainObject(args)) {
      return { ok: false, code: 'TOOL_BAD_ARGUMENTS', summary: `The arguments of "${name}" must be a JSON object` };
    }
    // One budget for everything the call does (connecting, listing, calling): its own deadline or the turn's stop.
    const deadline = AbortSignal.timeout(this.timeoutMs);
    // Fired when the server sends far more than the result cap allows (see mcpWireCap.ts).
    const flooded = new AbortController();
    const signal = AbortSignal.any([ctx.signal, deadline, flooded.signal]);
    const wireCap = wireCapFor(this.maxResultBytes);
    try {
      return await this.callListed(name, args, signal, (work) => withWireCap(wireCap, () => flooded.abort(), work));
    } catch (error) {
      if (ctx.signal.aborted) return { ok: false, code: 'TOOL_STOPPED', summary: `"${name}" was stopped` };
      if (flooded.signal.aborted) {
        return {
          ok: false,
          code: 'TOOL_RESULT_TOO_LARGE',
          summary: `"${name}" sent more than ${wireCap} bytes; the result limit is ${this.maxResultBytes}`,
        };
      }
      if (deadline.aborted || (error instanceof McpError && error.code === ErrorCode.RequestTimeout)) {
        return { ok: false, code: 'TOOL_TIMEOUT', summary: `"${name}" did not answer within ${this.timeoutMs} ms` };
      }
      return this.failed(name, error);
    }
  }

  /** Closes the session with the server. */
  close(): Promise<void> {
    return this.connection.close();
  }

  /** Calls a listed tool; `capped` bounds what the call itself (not the listing, shared by callers) may make us read. */
  private async callListed(
    name: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    capped: <T>(work: () => Promise<T>) => Promise<T>,
  ): Promise<ToolOutcome> {
    const before = this.list;
    let list = await this.tools(signal);
    // A tool added since a cached list was read: read it again once before calling the name unknown.
    if (!list.tools.has(name) && list === before) list = await this.tools(signal, true);
    const listed = list.tools.get(name);
    if (!listed) return this.unknown(name);
    const result = await capped(() =>
      this.withSession(signal, (client) =>
        client.callTool({ name: listed.tool.name, arguments: args }, CallToolResultSchema, {
          signal,
          // The SDK's own timer (60 s by default) must not cut a longer configured budget.
          timeout: this.timeoutMs + 1_000,
        }),
      ),
    );
    return this.outcome(name, result as CallToolResult);
  }

  private outcome(name: string, result: CallToolResult): ToolOutcome {
    const text = resultText(result);
    if (result.isError) return { ok: false, code: 'TOOL_FAILED', summary: `"${name}" failed: ${excerpt(text) || 'no detail given'}` };
    const bytes = utf8Bytes(text);
    if (bytes > this.maxResultBytes) {
      return {
        ok: false,
        code: 'TOOL_RESULT_TOO_LARGE',
        summary: `"${name}" returned ${bytes} bytes; the limit is ${this.maxResultBytes}`,
      };
    }
    return { ok: true, content: text, summary: excerpt(text, 160) || '(empty result)' };
  }

  /** The server's tools, from the cache while it is fresh and of the current session. */
  private async tools(signal: AbortSignal, force = false): Promise<ToolList> {
    const cached = this.list;
    if (!force && cached && cached.session === this.connection.sessions && this.now() - cached.at < this.options.listTtlMs) return cached;
    // Shared by concurrent callers, so bounded by its own budget rather than by one caller's signal.
    const own = AbortSignal.timeout(this.timeoutMs);
    this.listing ??= this.withSession(own, async (client) => {
      const tools = new Map<string, ListedTool>();
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined, { signal: own });
        for (const tool of page.tools) this.addTool(tools, tool);
        cursor = page.nextCursor;
      } while (cursor);
      const list: ToolList = { at: this.now(), session: this.connection.sessions, tools };
      this.list = list;
      return list;
    }).finally(() => {
      this.listing = undefined;
    });
    return raceAbort(this.listing, signal);
  }

  private addTool(tools: Map<string, ListedTool>, tool: Tool): void {
    const name = exposedToolName(this.serverName, tool.name);
    if (name === null) {
      this.options.logger.warn({ mcpServer: this.serverName, tool: tool.name }, 'MCP tool skipped: its name cannot be a model tool name');
      return;
    }
    // `$schema` and friends are not part of a function's parameters for the providers.
    const { $schema: _schema, ...schema } = tool.inputSchema as Record<string, unknown>;
    const parameters = { ...schema, type: 'object', properties: tool.inputSchema.properties ?? {} };
    tools.set(name, { tool, definition: { name, description: tool.description ?? tool.title ?? '', parameters } });
  }

  /**
   * Runs `work` on the current session. A session the server no longer knows (HTTP 404: the
   * server restarted) is replaced and `work` retried once — the server never saw the request.
   * Any other transport failure drops the session so that the next call reconnects.
   */
  private async withSession<T>(signal: AbortSignal, work: (client: Client) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      const client = await this.connection.client(signal);
      try {
        return await work(client);
      } catch (error) {
        if (signal.aborted || error instanceof McpError) throw error;
        this.connection.discard(client);
        if (!(error instanceof StreamableHTTPError && error.code === 404) || attempt > 1) throw error;
      }
    }
  }

  private unknown(name: string): Failure {
    return { ok: false, code: 'TOOL_UNKNOWN', summary: `MCP server "${this.serverName}" has no tool "${name}"` };
  }

  private failed(name: string, error: unknown): Failure {
    this.options.logger.warn({ err: error, mcpServer: this.serverName, tool: name }, 'MCP tool call failed');
    if (error instanceof McpError) {
      if (error.code === ErrorCode.InvalidParams)
        return { ok: false, code: 'TOOL_BAD_ARGUMENTS', summary: `"${name}" refused its arguments` };
      return { ok: false, code: 'TOOL_FAILED', summary: `"${name}" failed on MCP server "${this.serverName}"` };
    }
    return { ok: false, code: 'TOOL_FAILED', summary: `MCP server "${this.serverName}" is unavailable` };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
