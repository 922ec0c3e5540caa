import { DateTimeScalar } from '@chatgraph/kit';
import type { AssistantContext } from './context';
import type { Resolvers } from './generated/resolvers';

/** Re-exported for the generated resolver types (codegen's `contextType`). */
export type { AssistantContext };

/** A reference to identity's User: assistant only knows the id. */
export interface UserRef {
  __typename: 'User';
  id: string;
}

/** A reference to the file service's File: resolved (for its owner) by the file subgraph. */
export interface FileRef {
  __typename: 'File';
  id: string;
}

const userRef = (id: string): UserRef => ({ __typename: 'User', id });
const fileRef = (id: string): FileRef => ({ __typename: 'File', id });

/** Arguments -> service -> result. Every rule, including who may see and change what, lives in the service. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    assistant: (_, args, ctx) => ctx.assistants.assistant(ctx.principal, args.id),
    assistants: (_, args, ctx) => ctx.assistants.list(ctx.principal, args.filter ?? 'MINE', args),
  },
  Mutation: {
    createAssistant: (_, args, ctx) => ctx.assistants.create(ctx.principal, args.input),
    updateAssistant: (_, args, ctx) => ctx.assistants.update(ctx.principal, args.id, args.input, args.expectedVersion),
    deleteAssistant: (_, args, ctx) => ctx.assistants.delete(ctx.principal, args.id),
    duplicateAssistant: (_, args, ctx) => ctx.assistants.duplicate(ctx.principal, args.id),
    shareAssistant: (_, args, ctx) => ctx.assistants.share(ctx.principal, args.id, args.visibility, args.userIds, args.expectedVersion),
  },
  Assistant: {
    // The same rule as `assistant`: one the caller may not use resolves to null.
    __resolveReference: (ref, ctx) => ctx.assistants.reference(ctx.principal, ref.id),
    id: (doc) => doc._id,
    owner: (doc) => userRef(doc.ownerId),
    sharedWith: (doc, _args, ctx) => ctx.assistants.sharedWith(ctx.principal, doc).map(userRef),
    fileIds: (doc, _args, ctx) => ctx.assistants.liveFileIds(doc),
    files: async (doc, _args, ctx) => (await ctx.assistants.files(ctx.principal, doc)).map(fileRef),
  },
};
