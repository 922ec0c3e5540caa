import { DateTimeScalar } from '@chatgraph/kit';
import type { FileContext } from './context';
import type { Resolvers } from './generated/resolvers';

/** Re-exported for the generated resolver types (codegen's `contextType`). */
export type { FileContext };

/** Arguments -> service -> result. Every rule, including whose file it is, lives in the service. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    file: (_, args, ctx) => ctx.files.byId(ctx.principal, args.id),
    files: (_, args, ctx) => ctx.files.list(ctx.principal, args),
  },
  Mutation: {
    createUpload: (_, args, ctx) => ctx.files.createUpload(ctx.principal, args.input),
    deleteFile: (_, args, ctx) => ctx.files.delete(ctx.principal, args.id),
  },
  File: {
    // Owner-checked too: a reference to another user's file resolves to null.
    __resolveReference: (ref, ctx) => ctx.files.byId(ctx.principal, ref.id),
    id: (doc) => doc._id,
    status: (doc) => doc.shownStatus,
    failureReason: (doc) => doc.shownFailureReason,
    owner: (doc) => ({ __typename: 'User', id: doc.ownerId }),
    downloadUrl: (doc, _args, ctx) => ctx.files.downloadUrl(doc),
  },
  Message: {
    __resolveReference: (ref) => ref,
    files: (message, _args, ctx) => ctx.files.byIds(ctx.principal, message.fileIds ?? []),
  },
  SharedMessage: {
    __resolveReference: (ref) => ref,
    files: (message, _args, ctx) => ctx.files.sharedFiles(message.shareId ?? '', message.fileIds ?? []),
  },
  SharedFile: {
    id: ({ doc }) => doc._id,
    filename: ({ doc }) => doc.filename,
    mimeType: ({ doc }) => doc.mimeType,
    bytes: ({ doc }) => doc.bytes,
    downloadUrl: (view, _args, ctx) => ctx.files.shareDownloadUrl(view),
  },
  FileConnection: {
    totalCount: (connection) => connection.totalCount(),
  },
};

/** A reference to another subgraph's entity: file only knows its id. */
export interface EntityRef<T extends string> {
  __typename: T;
  id: string;
}

/** A shared message as the router hands it to `SharedMessage.files`: its id and (`@requires`) its share and file ids. */
export interface SharedMessageRef {
  id: string;
  shareId?: string | null;
  fileIds?: readonly string[] | null;
}

/** A message as the router hands it to `Message.files`: its id and (`@requires`) its file ids. */
export interface MessageRef {
  id: string;
  fileIds?: readonly string[] | null;
}
