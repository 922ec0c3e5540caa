import { DateTimeScalar } from '@chatgraph/kit';
import type { SearchContext } from './context';
import type { Resolvers } from './generated/resolvers';
import { conversationOf, fileOf, kindOf, messageOf } from './hits';

/** Re-exported for the generated resolver types (codegen's `contextType`). */
export type { SearchContext };

/** Arguments -> service -> result. Every rule, including whose documents are searched, lives in the service. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    search: (_, args, ctx) => ctx.search.search(ctx.principal, args),
  },
  SearchConnection: {
    edges: (page) => page.hits.map((hit) => ({ cursor: hit.cursor, node: hit })),
    pageInfo: (page) => ({
      hasNextPage: page.hasNext,
      hasPreviousPage: page.hasPrevious,
      startCursor: page.hits[0]?.cursor ?? null,
      endCursor: page.hits[page.hits.length - 1]?.cursor ?? null,
    }),
    totalCount: (page) => page.total,
  },
  SearchHit: {
    kind: (hit) => kindOf(hit),
    message: (hit) => messageOf(hit),
    conversation: (hit) => conversationOf(hit),
    file: (hit) => fileOf(hit),
  },
};
