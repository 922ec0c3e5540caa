import { requireUser, type LoaderRegistry, type Principal } from '@chatgraph/kit';
import type { Connection, PageRequest } from '@chatgraph/kit/store';
import type { OutboxHint } from '@chatgraph/kit/events';
import { GenerationAdmission, type AdmissionOptions } from './admission';
import {
  ConversationCommands,
  type CreateConversationInput,
  type DeletedConversation,
  type UpdateConversationInput,
} from './conversations';
import { ConversationReads, type ConversationFilter } from './reads';
import type { ModelCatalogView } from './modelCatalog';
import { MessageCommands, type EditMessageInput, type SendMessageInput, type SendResult } from './sending';
import { SharingCommands, type RevokedShare } from './sharing';
import type { StreamRequested } from './streamRequested';
import type { CreditCheck } from './creditBalances';
import type { AttachableFiles } from './attachableFiles';
import type { Assistants } from './assistants';
import type { ConversationCollections, ConversationDoc, MessageDoc, Rating, ShareDoc } from './store';

/**
 * `SendMessagePayload`: what the turn wrote, and for an edit or a regeneration the id of the
 * message edited or regenerated (`original`, whose sibling count just grew).
 */
export type SendPayload = SendResult & { originalId?: string };

export interface ConversationServiceDeps {
  collections: ConversationCollections;
  defaultModel: string;
  contextTokenBudget: number;
  /** Known models' context windows in tokens (`MODEL_CONTEXT_WINDOWS`). */
  modelContextWindows: Readonly<Record<string, number>>;
  /** Tokens of a known window kept free for the answer. */
  contextReplyReserveTokens: number;
  /** Per-user and global bounds on open generations (admission.ts). */
  admission: AdmissionOptions;
  now: () => Date;
  /**
   * Called after writes that queued events (wakes the outbox relay), naming the documents written
   * so the relay looks them up by key; called with none, the relay scans for them.
   */
  eventsQueued: (...written: OutboxHint[]) => void;
  /** Records each requested generation for streaming (streamRequested.ts); absent without a kv store. */
  streamRequested?: StreamRequested;
  /** Refuses model names missing from ai-gateway's published catalog (modelCatalog.ts); absent: length check only. */
  models?: ModelCatalogView;
  /** Refuses turns of users whose credits are used up (creditBalances.ts); absent when BALANCE_ENFORCED is off. */
  creditCheck?: CreditCheck;
  /** Refuses attached file ids that are unknown, someone else's or not READY (attachableFiles.ts); absent: shape checks only. */
  files?: AttachableFiles;
  /** Checks the use of assistants and gives their threads' turns their current settings (assistants.ts); absent: assistants are refused. */
  assistants?: Assistants;
}

/**
 * Conversation's rules behind one facade the resolvers call. Every method takes the caller's
 * principal and enforces ownership; it knows nothing of GraphQL or HTTP. Reads live in
 * `reads.ts`, conversation writes in `conversations.ts`, the message tree's writes in `sending.ts`.
 */
export class ConversationService {
  readonly reads: ConversationReads;
  private readonly conversations: ConversationCommands;
  private readonly messages: MessageCommands;
  private readonly sharing: SharingCommands;

  constructor(deps: ConversationServiceDeps) {
    const writes = {
      collections: deps.collections,
      now: deps.now,
      eventsQueued: deps.eventsQueued,
      models: deps.models,
      assistants: deps.assistants,
    };
    this.reads = new ConversationReads(deps.collections);
    this.conversations = new ConversationCommands(writes);
    this.messages = new MessageCommands(
      writes,
      {
        defaultModel: deps.defaultModel,
        contextTokenBudget: deps.contextTokenBudget,
        modelContextWindows: deps.modelContextWindows,
        contextReplyReserveTokens: deps.contextReplyReserveTokens,
        streamRequested: deps.streamRequested,
        creditCheck: deps.creditCheck,
        files: deps.files,
      },
      new GenerationAdmission(deps.collections.messages, deps.admission, deps.now),
    );
    this.sharing = new SharingCommands(writes);
  }

  /** `Query.conversation`: signed-in callers only; someone else's or an unknown id is null. */
  conversation(principal: Principal, id: string, loaders: LoaderRegistry): Promise<ConversationDoc | null> {
    requireUser({ principal });
    return this.reads.conversation(principal, id, loaders);
  }

  /** `_entities` for Conversation: null unless the caller owns it. */
  conversationReference(principal: Principal, id: string, loaders: LoaderRegistry): Promise<ConversationDoc | null> {
    return this.reads.conversation(principal, id, loaders);
  }

  /** `_entities` for Message: null unless the caller owns it. */
  messageReference(principal: Principal, id: string, loaders: LoaderRegistry): Promise<MessageDoc | null> {
    return this.reads.message(principal, id, loaders);
  }

  conversationsOf(
    principal: Principal,
    userId: string,
    page: PageRequest,
    filter: ConversationFilter | null | undefined,
  ): Promise<Connection<ConversationDoc>> {
    return this.reads.conversationsOf(principal, userId, page, filter);
  }

  createConversation(principal: Principal, input: CreateConversationInput | null | undefined): Promise<ConversationDoc> {
    return this.conversations.create(requireUser({ principal }), input);
  }

  updateConversation(principal: Principal, id: string, input: UpdateConversationInput): Promise<ConversationDoc> {
    return this.conversations.update(requireUser({ principal }), id, input);
  }

  deleteConversation(principal: Principal, id: string): Promise<DeletedConversation> {
    return this.conversations.delete(requireUser({ principal }), id);
  }

  sendMessage(principal: Principal, input: SendMessageInput): Promise<SendResult> {
    return this.messages.send(requireUser({ principal }), input);
  }

  async editMessage(principal: Principal, input: EditMessageInput): Promise<SendPayload> {
    return { ...(await this.messages.edit(requireUser({ principal }), input)), originalId: input.messageId };
  }

  async regenerateMessage(principal: Principal, messageId: string, model: string | null | undefined): Promise<SendPayload> {
    return { ...(await this.messages.regenerate(requireUser({ principal }), messageId, model)), originalId: messageId };
  }

  setActiveMessage(principal: Principal, messageId: string): Promise<ConversationDoc> {
    return this.messages.setActive(requireUser({ principal }), messageId);
  }

  forkConversation(principal: Principal, messageId: string): Promise<ConversationDoc> {
    return this.sharing.fork(requireUser({ principal }), messageId);
  }

  shareConversation(principal: Principal, id: string): Promise<ShareDoc> {
    return this.sharing.share(requireUser({ principal }), id);
  }

  revokeShare(principal: Principal, shareId: string): Promise<RevokedShare> {
    return this.sharing.revoke(requireUser({ principal }), shareId);
  }

  /** Anyone, signed in or not, may read an active share. */
  sharedConversation(shareId: string): Promise<ShareDoc | null> {
    return this.sharing.shared(shareId);
  }

  setFeedback(principal: Principal, messageId: string, rating: Rating, comment: string | null | undefined): Promise<MessageDoc> {
    return this.sharing.setFeedback(requireUser({ principal }), messageId, rating, comment);
  }
}
