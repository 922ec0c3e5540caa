import { codedError, requireUser, type Principal } from '@chatgraph/kit';
import { SearchRequestError, type SearchHit, type SearchIndex } from '@chatgraph/kit/search';
import { DOC_KINDS } from './definition';
import { EmbeddingUnavailableError, type Embedder, type Embeddings } from './embedding';
import { engineFilters, withTags, type SearchFilterArg } from './filter';
import { enginePaging, type SearchPagingArgs } from './paging';

/** The longest query accepted, in characters: longer ones are refused rather than analysed. */
export const MAX_QUERY_LENGTH = 1000;
/** A query must contain something an analyser keeps: a letter or a digit of any script. */
const SEARCHABLE = /[\p{L}\p{N}]/u;

export type SearchModeArg = 'KEYWORD' | 'SEMANTIC' | 'HYBRID';
export type SearchKindArg = 'MESSAGE' | 'CONVERSATION' | 'FILE';

export interface SearchArgs extends SearchPagingArgs {
  query: string;
  mode?: SearchModeArg | null;
  kinds?: readonly SearchKindArg[] | null;
  filter?: SearchFilterArg | null;
}

/** A page of hits as the resolvers return it. */
export interface SearchPage {
  hits: SearchHit[];
  cursor: string | null;
  /** Hits of the whole search (`totalCount`). */
  total: number;
  /** Relay's `hasNextPage` and `hasPreviousPage`. */
  hasNext: boolean;
  hasPrevious: boolean;
}

const NOTHING: SearchPage = { hits: [], cursor: null, total: 0, hasNext: false, hasPrevious: false };

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
    const paging = enginePaging(args);
    const filters = await withTags(this.index, user.userId, engineFilters(args.filter), args.filter?.tags);
    // No conversation carries the tags: nothing can match.
    if (!filters) return NOTHING;
    const indexed: string[] = Object.values(DOC_KINDS);
    const kinds = (args.kinds && args.kinds.length > 0 ? args.kinds : ['MESSAGE', 'CONVERSATION', 'FILE'])
      .map((kind) => kind.toLowerCase())
      .filter((kind) => indexed.includes(kind));
    const embedded = mode === 'KEYWORD' ? null : await this.embedQuery(args.query);
    const vector = embedded?.vectors[0] ?? null;
    // A query whose trigrams cancel out has no direction: semantic finds nothing, hybrid is keyword.
    if (mode === 'SEMANTIC' && !vector) return NOTHING;
    try {
      const result = await this.index.search({
        ownerId: user.userId,
        text: args.query,
        // Only vectors of the query's model are compared: documents still carrying another's
        // (until the re-embedding pass reaches them) are found by their words alone.
        ...(vector && embedded ? { vector, vectorFilter: { embeddingModel: embedded.model } } : {}),
        mode: vector ? (mode === 'SEMANTIC' ? 'semantic' : 'hybrid') : 'keyword',
        filters: { ...filters, kinds },
        ...paging,
      });
      return { hits: result.hits, cursor: result.cursor, total: result.total, hasNext: result.hasNext, hasPrevious: result.hasPrevious };
    } catch (error) {
      // Whatever else the port refuses is still about this request's input (the cursor, mostly).
      if (error instanceof SearchRequestError)
        throw codedError('BAD_USER_INPUT', error.message, { field: paging.backward ? 'before' : 'after' });
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
