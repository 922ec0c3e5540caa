import type { Logger } from '@chatgraph/kit';
import type { ToolCallContext, ToolDefinition, ToolSource } from './types';

/**
 * The tools one turn may use: the definitions the model is offered and, per name, the source
 * that runs it. Built from the turn's tool list (an assistant's `tools`) over every source the
 * gateway has (the built-in `file_search`, MCP servers).
 */
export interface TurnTools {
  readonly definitions: readonly ToolDefinition[];
  sourceOf(name: string): ToolSource | undefined;
}

/** No tools: the turn is a plain generation. */
export const NO_TOOLS: TurnTools = { definitions: [], sourceOf: () => undefined };

/**
 * Asks each source for the tools `names` enables. A source that fails to list its tools (an MCP
 * server down) is left out of the turn and logged: the answer goes on with the others. The first
 * source to define a name keeps it.
 */
export async function toolsForTurn(
  sources: readonly ToolSource[],
  names: readonly string[],
  ctx: Omit<ToolCallContext, 'signal'>,
  log: Logger,
): Promise<TurnTools> {
  if (names.length === 0 || sources.length === 0) return NO_TOOLS;
  const listed = await Promise.all(
    sources.map((source) =>
      source.definitions(names, ctx).then(
        (definitions) => ({ source, definitions }),
        (err: unknown) => {
          log.warn({ err }, 'a tool source could not list its tools; the turn goes on without them');
          return { source, definitions: [] as ToolDefinition[] };
        },
      ),
    ),
  );
  const byName = new Map<string, ToolSource>();
  const definitions: ToolDefinition[] = [];
  for (const { source, definitions: defs } of listed)
    for (const definition of defs) {
      if (byName.has(definition.name)) continue;
      byName.set(definition.name, source);
      definitions.push(definition);
    }
  return { definitions, sourceOf: (name) => byName.get(name) };
}
