import { DateTimeScalar } from '@chatgraph/kit';
import type { AiGatewayContext } from './context';
import type { ModelCapability, Resolvers } from './generated/resolvers';

/** Re-exported for the generated resolver types (codegen's `contextType`). */
export type { AiGatewayContext };

/** Arguments -> service -> result. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    models: (_, args, ctx) => ctx.aiGateway.models(args.capability?.toLowerCase()),
    model: (_, args, ctx) => ctx.aiGateway.model(args.id),
    providers: (_, _args, ctx) => ctx.aiGateway.providers(ctx.principal),
  },
  Model: {
    __resolveReference: (ref, ctx) => ctx.aiGateway.model(ref.id),
    // The catalog stores lowercase words and refuses any outside the enum (catalog.ts).
    capabilities: (model) => model.capabilities.map((c) => c.toUpperCase() as ModelCapability),
  },
  ProviderStatus: {
    id: (status) => status.deployment,
  },
};
