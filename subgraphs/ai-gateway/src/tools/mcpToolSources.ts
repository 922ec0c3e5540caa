import type { Logger } from '@chatgraph/kit';
import type { RoleLookup } from './mcpAccess';
import type { McpServerConfig } from './mcpConfig';
import { McpToolSource } from './mcpToolSource';

/** The part of ai-gateway's configuration the MCP tools read. */
export interface McpToolsConfig {
  MCP_SERVERS: readonly McpServerConfig[];
  MCP_TOOL_TIMEOUT_MS: number;
  MCP_MAX_RESULT_BYTES: number;
  MCP_TOOL_LIST_TTL_MS: number;
}

/**
 * One `ToolSource` per registered MCP server, for the tool loop to register beside `file_search`.
 * Connects to nothing: each source connects on first use. `roleOf` tells a caller's role for the
 * servers restricted to roles (production: `principalDirectoryRoles(kv)`).
 */
export function createMcpToolSources(config: McpToolsConfig, logger: Logger, roleOf: RoleLookup): McpToolSource[] {
  return config.MCP_SERVERS.map(
    (server) =>
      new McpToolSource({
        server,
        timeoutMs: config.MCP_TOOL_TIMEOUT_MS,
        maxResultBytes: config.MCP_MAX_RESULT_BYTES,
        listTtlMs: config.MCP_TOOL_LIST_TTL_MS,
        roleOf,
        logger,
      }),
  );
}
