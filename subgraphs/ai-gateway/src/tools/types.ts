/**
 * The contract between the tool loop and the tools it can run (`file_search`, MCP servers' tools).
 * The loop offers the model the definitions of the tools a turn has enabled, runs each call the
 * model asks for through its `ToolSource`, and feeds the result back as the tool message.
 */

/** A tool as the model sees it (the `openai` SDK's function tool). */
export interface ToolDefinition {
  /** Unique within a turn; `^[a-zA-Z0-9_-]{1,64}$` (the provider's rule). */
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments object. */
  readonly parameters: Record<string, unknown>;
}

/** Who calls, for what, and how to stop: every call is made for one user's turn. */
export interface ToolCallContext {
  readonly userId: string;
  readonly conversationId: string;
  readonly assistantId: string | null;
  /** Aborted when the generation is stopped or the call's time budget runs out. */
  readonly signal: AbortSignal;
}

/** A place the model may cite: a chunk of a file found by `file_search`. */
export interface ToolCitation {
  readonly fileId: string;
  readonly filename: string;
  /** The chunk's position in the file (0-based). */
  readonly chunkIndex: number;
  readonly snippet: string;
}

/**
 * What a call ended with. A failure is an outcome, not a throw: the model is told (so the answer
 * still ends) and the client sees the code.
 */
export type ToolOutcome =
  | { readonly ok: true; readonly content: string; readonly summary: string; readonly citations?: readonly ToolCitation[] }
  | {
      readonly ok: false;
      /** TOOL_TIMEOUT, TOOL_RESULT_TOO_LARGE, TOOL_FAILED, TOOL_FORBIDDEN, TOOL_UNKNOWN, TOOL_BAD_ARGUMENTS, TOOL_STOPPED. */
      readonly code: string;
      readonly summary: string;
    };

/** A family of tools (the built-in `file_search`, one MCP server). */
export interface ToolSource {
  /** The tools of this source that `names` enables (an assistant's tool list), for this user. */
  definitions(names: readonly string[], ctx: Omit<ToolCallContext, 'signal'>): Promise<ToolDefinition[]>;
  /** Runs one call; never throws for the tool's own failures (they are outcomes). */
  call(name: string, args: unknown, ctx: ToolCallContext): Promise<ToolOutcome>;
}
