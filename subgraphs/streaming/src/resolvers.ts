import { DateTimeScalar, toFinishReason } from '@chatgraph/kit';
import { conversationRef, messageRef, type StreamChunkView } from './chunks';
import type { StreamingContext } from './context';
import type { Resolvers } from './generated/resolvers';

/** Re-exported for the generated resolver types (codegen's `contextType`). */
export type { StreamingContext };

/** Arguments -> service -> result. Every rule, including who may read what, lives in the service. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    activeStreams: (_, _args, ctx) => ctx.streaming.activeStreams(ctx.principal),
  },
  Mutation: {
    stopGeneration: (_, args, ctx) => ctx.streaming.stopGeneration(ctx.principal, args.streamId),
  },
  Subscription: {
    messageStream: {
      // Refusals (sign-in, arguments, ownership) are thrown here, before any chunk.
      subscribe: (_, args, ctx) => ctx.streaming.openStream(ctx.principal, args.streamId, args.after, ctx.log),
      resolve: (chunk: StreamChunkView) => chunk,
    },
  },
  StreamChunk: {
    finishReason: (chunk) => toFinishReason(chunk.finishReason),
  },
  StreamInfo: {
    id: (info) => info.streamId,
    lastSeq: (info, _args, ctx) => ctx.streaming.lastSeq(info.streamId),
    conversation: (info) => conversationRef(info.conversationId),
    message: (info) => messageRef(info.messageId),
  },
};
