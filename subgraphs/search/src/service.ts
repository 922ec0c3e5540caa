import { codedError, requireUser, type Principal } from '@chatgraph/kit';
import { MAX_SEARCH_PAGE_SIZE, SearchRequestError, type SearchFilters, type SearchHit, type SearchIndex } from '@chatgraph/kit/search';
import { DOC_KINDS } from './definition';
import { EmbeddingUnavailableError, type Embedder, type Embeddings } from './embedding';

/** The longest query accepted, in characters: longer ones are refused rather than analysed. */
export const MAX_QUERY_LENGTH = 1000;
/** Page size when `first` is absent. */
export const DEFAULT_PAGE_SIZE = 20;

/** A query must contain something an analyser keeps: a letter or a digit of any script. */
const SEARCHABLE = /[\p{L}\p{N}]/u;

export type SearchModeArg = 'KEYWORD' | 'SEMANTIC' | 'HYBRID';
export type SearchKindArg = 'MESSAGE' | 'CONVERSATION' | 'FILE';

/** The most conversations one filter may name. */
export const MAX_FILTER_CONVERSATIONS = 100;
/** The most files one filter may name. */
export const MAX_FILTER_FILES = 100;

/** `SearchFilter` as GraphQL gives it. */
export interface SearchFilterArg {
  conversationIds?: readonly string[] | null;
  roles?: readonly ('USER' | 'ASSISTANT' | 'SYSTEM')[] | null;
  from?: Date | string | null;
  to?: Date | string | null;
  fileIds?: readonly string[] | null;
}

/** The filter as the port takes it, besides the kind; refuses what cannot match anything sensible. */
function engineFilters(filter: SearchFilterArg | null | undefined): SearchFilters {
  const keywords: Record<string, string[]> = {};
  const ids = filter?.conversationIds ?? [];
  if (ids.length > MAX_FILTER_CONVERSATIONS)
    throw codedError('BAD_USER_INPUT', `filter names more than ${MAX_FILTER_CONVERSATIONS} conversations`, {
      field: 'filter.conversationIds',
      max: MAX_FILTER_CONVERSATIONS,
      actual: ids.length,
    });
  if (ids.length > 0) keywords.conversationId = [...ids];
  const fileIds = filter?.fileIds ?? [];
  if (fileIds.length > MAX_FILTER_FILES)
    throw codedError('BAD_USER_INPUT', `filter names more than ${MAX_FILTER_FILES} files`, {
      field: 'filter.fileIds',
      max: MAX_FILTER_FILES,
      actual: fileIds.length,
    });
  if (fileIds.length > 0) keywords.fileId = [...fileIds];
  if (filter?.roles && filter.roles.length > 0) keywords.role = [...filter.roles];
  const from = filter?.from ? new Date(filter.from) : undefined;
  const to = filter?.to ? new Date(filter.to) : undefined;
  if (from && to && to.getTime() <= from.getTime()) throw codedError('BAD_USER_INPUT', '`to` must be after `from`', { field: 'filter.to' });
  return { keywords, ...(from || to ? { createdAt: { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) } } : {}) };
}

export interface SearchArgs {
  query: string;
  mode?: SearchModeArg | null;
  kinds?: readonly SearchKindArg[] | null;
  first?: number | null;
  after?: string | null;
  filter?: SearchFilterArg | null;
}

/** A page of hits as the resolvers return it. */
export interface SearchPage {
  hits: SearchHit[];
  cursor: string | null;
  /** Hits of the whole search (`totalCount`). */
  total: number;
}

/**
 * The search rules: who may search (a signed-in user, over their own documents only: the owner
 * is part of the engine query, never a filter applied to results), and which queries are
 * refused with BAD_USER_INPUT before the engine sees them.
 */
export class SearchService {
  constructor(
    private readonly index: SearchIndex,
    private readonly embedder: Embedder,
  ) {}

  async search(principal: Principal, args: SearchArgs): Promise<SearchPage> {
    const user = requireUser({ principal });
    const mode = args.mode ?? 'HYBRID';
    if (args.query.length > MAX_QUERY_LENGTH)
      throw codedError('BAD_USER_INPUT', `query is longer than ${MAX_QUERY_LENGTH} characters`, { field: 'query' });
    if (!SEARCHABLE.test(args.query)) throw codedError('BAD_USER_INPUT', 'query has no letter or digit to search for', { field: 'query' });
    const size = args.first ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_SEARCH_PAGE_SIZE)
      throw codedError('BAD_USER_INPUT', `first must be from 1 to ${MAX_SEARCH_PAGE_SIZE}`, { field: 'first' });
    const filters = engineFilters(args.filter);
    const indexed: string[] = Object.values(DOC_KINDS);
    const kinds = (args.kinds && args.kinds.length > 0 ? args.kinds : ['MESSAGE', 'CONVERSATION', 'FILE'])
      .map((kind) => kind.toLowerCase())
      .filter((kind) => indexed.includes(kind));
    const embedded = mode === 'KEYWORD' ? null : await this.embedQuery(args.query);
    const vector = embedded?.vectors[0] ?? null;
    // A query whose trigrams cancel out has no direction: semantic finds nothing, hybrid is keyword.
    if (mode === 'SEMANTIC' && !vector) return { hits: [], cursor: null, total: 0 };
    try {
      const result = await this.index.search({
        ownerId: user.userId,
        text: args.query,
        // Only vectors of the query's model are compared: documents still carrying another's
        // (until the re-embedding pass reaches them) are found by their words alone.
        ...(vector && embedded ? { vector, vectorFilter: { embeddingModel: embedded.model } } : {}),
        mode: vector ? (mode === 'SEMANTIC' ? 'semantic' : 'hybrid') : 'keyword',
        filters: { ...filters, kinds },
        size,
        cursor: args.after ?? null,
      });
      return { hits: result.hits, cursor: result.cursor, total: result.total };
    } catch (error) {
      // Whatever else the port refuses is still about this request's input (the cursor, mostly).
      if (error instanceof SearchRequestError) throw codedError('BAD_USER_INPUT', error.message, { field: 'after' });
      throw error;
    }
  }

  /**
   * The query's embedding. When the embedder cannot answer now (ai-gateway down), SEMANTIC and
   * HYBRID are refused with UNAVAILABLE rather than answered with other results than asked for:
   * the client may retry, or ask KEYWORD, which never needs an embedding.
   */
  private async embedQuery(query: string): Promise<Embeddings> {
    try {
      return await this.embedder.embed([query]);
    } catch (error) {
      if (!(error instanceof EmbeddingUnavailableError)) throw error;
      throw codedError(
        'UNAVAILABLE',
        'Semantic search is unavailable right now (embeddings cannot be computed); retry, or search with mode KEYWORD',
        {
          reason: 'EMBEDDINGS_UNAVAILABLE',
          retryWith: 'KEYWORD',
        },
      );
    }
  }
}
