import { int, type VarSpec } from '@chatgraph/kit';
import { z } from 'zod';

/**
 * The MCP servers an administrator registers (`MCP_SERVERS`), and the defaults of their limits.
 * Registration is configuration on purpose: which remote code the model may reach is an
 * operator's decision, not something a user or an assistant's owner can add at run time.
 */

/** A server's name: part of every tool name the model sees (`mcp__<name>__<tool>`), so no `_`. */
const SERVER_NAME = /^[a-zA-Z0-9-]{1,24}$/;

const serverSchema = z
  .object({
    name: z.string().regex(SERVER_NAME, 'name must be 1 to 24 letters, digits or dashes'),
    url: z.url({ protocol: /^https?$/, error: 'url must be an http(s) URL' }),
    /** Sent with every request to this server (e.g. its own `authorization`). */
    headers: z.record(z.string(), z.string()).optional(),
    /** Roles whose users may use this server's tools; with `allowedUsers`, either admits. */
    allowedRoles: z
      .array(z.enum(['USER', 'ADMIN']))
      .min(1)
      .optional(),
    /** User ids that may use this server's tools. */
    allowedUsers: z.array(z.string().min(1)).min(1).optional(),
    timeoutMs: z.number().int().min(1).max(600_000).optional(),
    maxResultBytes: z.number().int().min(1).max(10_000_000).optional(),
  })
  .strict();

/** One registered MCP server, as configured. */
export type McpServerConfig = z.infer<typeof serverSchema>;

/** Parses `MCP_SERVERS`: a JSON array of servers with unique names. */
export function parseMcpServers(raw: string): McpServerConfig[] {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('must be a JSON array of servers');
  }
  const parsed = z.array(serverSchema).safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `is not a valid server list: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`,
    );
  }
  const names = parsed.data.map((server) => server.name.toLowerCase());
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new Error(`names server "${duplicate}" twice`);
  return parsed.data;
}

const mcpServersSpec: VarSpec<McpServerConfig[]> = {
  description:
    'MCP servers (Streamable HTTP) whose tools assistants may enable, as a JSON array: `[{"name":"weather","url":"http://host:port/mcp","headers":{…},"allowedRoles":["ADMIN"],"allowedUsers":["<userId>"],"timeoutMs":10000,"maxResultBytes":65536}]` (only `name` and `url` required; see "MCP tools" in the README)',
  default: [],
  defaultLabel: '(none)',
  parse: parseMcpServers,
};

/** The MCP part of ai-gateway's configuration (spread into `aiGatewayConfigSpec`). */
export const mcpConfigSpec = {
  MCP_SERVERS: mcpServersSpec,
  MCP_TOOL_TIMEOUT_MS: int({
    description: "Longest an MCP tool call may take (connecting included) before it ends TOOL_TIMEOUT; a server's `timeoutMs` overrides it",
    default: 30_000,
    min: 1,
    max: 600_000,
  }),
  MCP_MAX_RESULT_BYTES: int({
    description:
      "Largest MCP tool result (its text, UTF-8) handed to the model; larger ends TOOL_RESULT_TOO_LARGE; a server's `maxResultBytes` overrides it",
    default: 65_536,
    min: 1,
    max: 10_000_000,
  }),
  MCP_TOOL_LIST_TTL_MS: int({
    description:
      "How long a server's tool list is reused before it is listed again (also re-listed after a reconnect or a call to a tool it no longer lists)",
    default: 60_000,
    min: 0,
    max: 24 * 3_600_000,
  }),
};
