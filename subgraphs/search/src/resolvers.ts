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
    edges: (page) => page.hits.map((hit) => ({ node: hit })),
    pageInfo: (page) => ({ hasNextPage: page.cursor !== null, endCursor: page.cursor }),
    totalCount: (page) => page.total,
  },
  SearchHit: {
    kind: (hit) => kindOf(hit),
    message: (hit) => messageOf(hit),
    conversation: (hit) => conversationOf(hit),
    file: (hit) => fileOf(hit),
  },
};
