/**
 * Names of MCP tools as the model sees them: `mcp__<server>__<tool>`. The prefix keeps tools of
 * different servers (and the built-in ones) apart; server names hold no `_`, so the first `__`
 * after the prefix always ends the server's part.
 */

/** The provider's rule for a function name. */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** The prefix of every tool of `server`. */
export function mcpToolPrefix(server: string): string {
  return `mcp__${server}__`;
}

/** The exposed name of `tool` on `server`, or null when it cannot be one (characters, length). */
export function exposedToolName(server: string, tool: string): string | null {
  const name = `${mcpToolPrefix(server)}${tool}`;
  return TOOL_NAME_PATTERN.test(name) ? name : null;
}
