import { DateTimeScalar, toFinishReason } from '@chatgraph/kit';
import type { ConversationContext } from './context';
import type { Resolvers } from './generated/resolvers';
import { sharedMessages } from './sharing';

/** Re-exported for the generated resolver types (codegen's `contextType`). */
export type { ConversationContext };

/** A reference to identity's User: conversation stores only the id. */
export interface UserRef {
  __typename: 'User';
  id: string;
}

const userRef = (id: string): UserRef => ({ __typename: 'User', id });

/** Arguments -> service -> result. Every rule, including who may read what, lives in the service. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    conversation: (_, args, ctx) => ctx.conversation.conversation(ctx.principal, args.id, ctx.loaders),
    sharedConversation: (_, args, ctx) => ctx.conversation.sharedConversation(args.shareId),
  },
  Mutation: {
    createConversation: (_, args, ctx) => ctx.conversation.createConversation(ctx.principal, args.input),
    sendMessage: (_, args, ctx) => ctx.conversation.sendMessage(ctx.principal, args.input),
    editMessage: (_, args, ctx) => ctx.conversation.editMessage(ctx.principal, args.input),
    regenerateMessage: (_, args, ctx) => ctx.conversation.regenerateMessage(ctx.principal, args.messageId, args.model),
    setActiveMessage: (_, args, ctx) => ctx.conversation.setActiveMessage(ctx.principal, args.messageId),
    updateConversation: (_, args, ctx) => ctx.conversation.updateConversation(ctx.principal, args.id, args.input),
    deleteConversation: (_, args, ctx) => ctx.conversation.deleteConversation(ctx.principal, args.id),
    forkConversation: (_, args, ctx) => ctx.conversation.forkConversation(ctx.principal, args.messageId),
    shareConversation: (_, args, ctx) => ctx.conversation.shareConversation(ctx.principal, args.id),
    revokeShare: (_, args, ctx) => ctx.conversation.revokeShare(ctx.principal, args.shareId),
    setFeedback: (_, args, ctx) => ctx.conversation.setFeedback(ctx.principal, args.messageId, args.rating, args.comment),
  },
  ShareLink: {
    id: (share) => share._id,
    shareId: (share) => share._id,
  },
  SharedConversation: {
    id: (share) => share._id,
    shareId: (share) => share._id,
    messages: (share) => sharedMessages(share),
  },
  SharedMessage: {
    // `<shareId>:<position>` of an active share (null once revoked, like the share itself).
    __resolveReference: async (ref, ctx) => {
      const [shareId = '', position = ''] = ref.id.split(':');
      const share = /^\d{1,4}$/.test(position) ? await ctx.conversation.sharedConversation(shareId) : null;
      return share ? (sharedMessages(share)[Number(position)] ?? null) : null;
    },
    id: (message) => `${message.shareId}:${message.index}`,
    fileIds: (message) => message.fileIds ?? [],
  },
  SendMessagePayload: {
    original: (payload, _args, ctx) =>
      payload.originalId ? ctx.conversation.messageReference(ctx.principal, payload.originalId, ctx.loaders) : null,
  },
  DeleteConversationPayload: {
    owner: (payload) => userRef(payload.ownerId),
  },
  RevokeSharePayload: {
    conversation: (payload, _args, ctx) => ctx.conversation.conversationReference(ctx.principal, payload.conversationId, ctx.loaders),
  },
  User: {
    __resolveReference: (ref) => userRef(ref.id),
    conversations: (user, args, ctx) => ctx.conversation.conversationsOf(ctx.principal, user.id, args, args.filter),
  },
  Conversation: {
    __resolveReference: (ref, ctx) => ctx.conversation.conversationReference(ctx.principal, ref.id, ctx.loaders),
    id: (c) => c._id,
    owner: (c) => userRef(c.ownerId),
    // A reference only: the assistant subgraph resolves it (and decides who may see it).
    assistant: (c) => (c.assistantId ? { __typename: 'Assistant' as const, id: c.assistantId } : null),
    messages: (c, args, ctx) => ctx.conversation.reads.messagesOf(c, args),
    branch: (c, args, ctx) => ctx.conversation.reads.branchOf(c, args),
    currentBranch: (c, _args, ctx) => ctx.conversation.reads.currentBranch(c, ctx.loaders),
    lastMessage: (c, _args, ctx) => ctx.conversation.reads.lastMessage(ctx.principal, c, ctx.loaders),
  },
  Message: {
    __resolveReference: (ref, ctx) => ctx.conversation.messageReference(ctx.principal, ref.id, ctx.loaders),
    id: (m) => m._id,
    // Documents written before fileIds existed have none.
    fileIds: (m) => m.fileIds ?? [],
    // Null for plain conversations and for documents written before it existed.
    assistantVersion: (m) => m.assistantVersion ?? null,
    finishReason: (m) => toFinishReason(m.finishReason),
    // Absent until the answer ended (and on documents written before the tool loop existed).
    toolCalls: (m) => m.toolCalls ?? [],
    citations: (m) => (m.citations ?? []).map((c) => ({ ...c, file: { __typename: 'File' as const, id: c.fileId } })),
    conversation: (m, _args, ctx) => ctx.conversation.reads.conversationOf(ctx.principal, m, ctx.loaders),
    children: (m, _args, ctx) => ctx.conversation.reads.children(m, ctx.loaders),
    siblingIndex: async (m, _args, ctx) => (await ctx.conversation.reads.siblingPosition(m, ctx.loaders)).index,
    siblingCount: async (m, _args, ctx) => (await ctx.conversation.reads.siblingPosition(m, ctx.loaders)).count,
  },
};
