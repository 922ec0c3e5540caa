import type { FileChunks, FoundChunk } from './fileChunks';
import type { ToolCallContext, ToolCitation, ToolDefinition, ToolOutcome, ToolSource } from './types';

/**
 * The built-in `file_search` tool: the best passages of the files a turn may search, with their
 * file and position, as the tool result and as citations for the answer.
 *
 * Which files, and why the caller may read them (decided from the turn, never from the model's
 * arguments): the files attached to the conversation's messages in the request (conversation
 * accepted only the caller's own READY files), searched as the caller's; and the thread's
 * assistant's knowledge files, searched as the assistant owner's (conversation let the caller use
 * the assistant, from its read model). Every search names its owner, so another user's file id in
 * either list finds nothing.
 */

export const FILE_SEARCH_TOOL = 'file_search';

/** The files one turn may search. */
export interface FileSearchScope {
  /** The files attached to the request's messages (the caller's). */
  attachedFileIds: readonly string[];
  /** The assistant's knowledge files and their owner. */
  knowledge?: { ownerId: string; fileIds: readonly string[] };
}

/** Passages returned per call by default. */
export const DEFAULT_FILE_SEARCH_RESULTS = 5;
/** Characters of a query. */
const MAX_QUERY = 1_000;
/** Characters of a passage in a citation's snippet. */
const SNIPPET = 300;

const definition: ToolDefinition = {
  name: FILE_SEARCH_TOOL,
  description:
    "Searches the files of this conversation and the assistant's knowledge files. Returns the most relevant passages, each with its file name and position; cite them by their `ref`.",
  parameters: {
    type: 'object',
    properties: { query: { type: 'string', description: 'What to look for, in a few keywords or a question.' } },
    required: ['query'],
    additionalProperties: false,
  },
};

/** The `query` argument, or undefined when the arguments are not `{ query: string }` of 1 to 1,000 characters. */
function queryOf(args: unknown): string | undefined {
  if (typeof args !== 'object' || args === null) return undefined;
  const query = (args as { query?: unknown }).query;
  if (typeof query !== 'string') return undefined;
  const trimmed = query.trim();
  return trimmed.length > 0 && trimmed.length <= MAX_QUERY ? trimmed : undefined;
}

/** `file_search` for one turn. */
export class FileSearchTool implements ToolSource {
  constructor(
    private readonly chunks: FileChunks,
    private readonly scope: FileSearchScope,
    private readonly results = DEFAULT_FILE_SEARCH_RESULTS,
  ) {}

  async definitions(names: readonly string[]): Promise<ToolDefinition[]> {
    return names.includes(FILE_SEARCH_TOOL) ? [definition] : [];
  }

  async call(name: string, args: unknown, ctx: ToolCallContext): Promise<ToolOutcome> {
    if (name !== FILE_SEARCH_TOOL) return { ok: false, code: 'TOOL_UNKNOWN', summary: `no tool named ${name}` };
    const query = queryOf(args);
    if (query === undefined)
      return { ok: false, code: 'TOOL_BAD_ARGUMENTS', summary: `query must be a string of 1 to ${MAX_QUERY} characters` };
    const found = await this.search(ctx.userId, query);
    if (ctx.signal.aborted) return { ok: false, code: 'TOOL_STOPPED', summary: 'the generation was stopped' };
    const passages = found.map((c, i) => ({
      ref: i + 1,
      fileId: c.fileId,
      file: c.filename,
      chunkIndex: c.chunkIndex,
      ...(c.page !== null ? { page: c.page } : {}),
      text: c.text,
    }));
    const files = new Set(found.map((c) => c.filename));
    const summary =
      found.length === 0
        ? `no passage matches "${query}"`
        : `${found.length} passage${found.length === 1 ? '' : 's'} from ${[...files].map((f) => `"${f}"`).join(', ')}`;
    const citations: ToolCitation[] = found.map((c) => ({
      fileId: c.fileId,
      filename: c.filename,
      chunkIndex: c.chunkIndex,
      snippet: c.text.slice(0, SNIPPET),
    }));
    return { ok: true, content: JSON.stringify({ query, passages }), summary, citations };
  }

  /** The best chunks over the caller's attached files and the knowledge files, merged by score. */
  private async search(userId: string, query: string): Promise<FoundChunk[]> {
    const byOwner = new Map<string, Set<string>>();
    const add = (ownerId: string, ids: readonly string[]): void => {
      const set = byOwner.get(ownerId) ?? new Set<string>();
      for (const id of ids) set.add(id);
      byOwner.set(ownerId, set);
    };
    if (this.scope.attachedFileIds.length > 0) add(userId, this.scope.attachedFileIds);
    if (this.scope.knowledge && this.scope.knowledge.fileIds.length > 0) add(this.scope.knowledge.ownerId, this.scope.knowledge.fileIds);
    const lists = await Promise.all([...byOwner].map(([ownerId, ids]) => this.chunks.search(ownerId, [...ids], query, this.results)));
    return lists
      .flat()
      .sort((a, b) => b.score - a.score)
      .slice(0, this.results);
  }
}
