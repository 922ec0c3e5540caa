import { DateTimeScalar } from '@chatgraph/kit';
import type { AiGatewayContext } from './context';
import type { Resolvers } from './generated/resolvers';

/** Re-exported for the generated resolver types (codegen's `contextType`). */
export type { AiGatewayContext };

/** Arguments -> service -> result. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    models: (_, _args, ctx) => ctx.aiGateway.models(),
    model: (_, args, ctx) => ctx.aiGateway.model(args.id),
    providers: (_, _args, ctx) => ctx.aiGateway.providers(ctx.principal),
  },
  Model: {
    __resolveReference: (ref, ctx) => ctx.aiGateway.model(ref.id),
  },
};
