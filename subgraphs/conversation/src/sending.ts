import { codedError, newId, type UserPrincipal } from '@chatgraph/kit';
import { insertWithOutbox, notDeleted } from '@chatgraph/kit/events';
import { ownedConversation, ownedMessage, newConversationDoc, usableAssistant, type Writes } from './conversations';
import type { GenerationAdmission } from './admission';
import { buildContextWindow, contextBudgetFor, type ContextBudgetOptions } from './contextWindow';
import { checkContent, checkFileIds, LIMITS, titleFromContent } from './limits';
import { knownModel } from './modelCatalog';
import { MessageTree } from './messageTree';
import { generationRequested, messageCreated, conversationCreated, type GenerationSampling } from './outboxEvents';
import type { ConversationDoc, MessageDoc } from './store';
import type { StreamRequested } from './streamRequested';
import type { CreditCheck } from './creditBalances';
import type { AttachableFiles } from './attachableFiles';
import { ASSISTANT_UNAVAILABLE, type AssistantDoc } from './assistants';

/** `sendMessage`'s input. */
export interface SendMessageInput {
  conversationId?: string | null;
  content: string;
  parentId?: string | null;
  model?: string | null;
  /** Files attached to the user message: each must be the caller's READY attachment (attachableFiles.ts). */
  fileIds?: readonly string[] | null;
  /**
   * Starts the new conversation as this assistant's thread (only without `conversationId`): the
   * caller must be allowed to use it (assistants.ts).
   */
  assistantId?: string | null;
}

/** `editMessage`'s input. */
export interface EditMessageInput {
  messageId: string;
  content: string;
  model?: string | null;
  fileIds?: readonly string[] | null;
}

/** What a turn wrote: `SendMessagePayload`. For a regeneration `userMessage` is the answered one. */
export interface SendResult {
  conversation: ConversationDoc;
  userMessage: MessageDoc;
  assistantMessage: MessageDoc;
  streamId: string;
}

/** One turn to write: an optional user message under `parent`, then a pending assistant message. */
interface Turn {
  user: UserPrincipal;
  conversation: ConversationDoc;
  /** The conversation is new and written with the turn. */
  isNew: boolean;
  tree: MessageTree;
  parent: MessageDoc | undefined;
  /** Null for a regeneration: the assistant message goes directly under `parent` (a user message). */
  userContent: string | null;
  /** Files attached to the user message (empty for a regeneration). */
  fileIds: string[];
  model: string | undefined;
  /** The assistant of a new thread, already checked; for an existing thread it is read in `writeTurn`. */
  assistant?: AssistantDoc;
}

const RUNNING = new Set(['PENDING', 'STREAMING']);

/**
 * Sending, editing and regenerating messages, and switching branches. All checks run before the
 * first write, so a refused request writes nothing.
 *
 * Without transactions a turn is two writes, ordered so a crash between or during them
 * leaves nothing a reader can trip on: (1) the conversation's active leaf is claimed with a
 * conditional update on the leaf we read — a concurrent send on the same conversation loses
 * with CONFLICT instead of forking silently; then one ordered insert of (2) the user message
 * with its `message.created` and (3) the assistant message with its `message.created` AND
 * `ai.generation.requested` in its own outbox (ordered: a crash can keep (2) without (3), never
 * the other way round). The generation is requested by the same write that creates the message it fills, so
 * there is never a request for a message that does not exist nor a pending message nobody asked
 * for. A crash after (1) leaves a dangling leaf id, which readers replace by the newest message.
 */
export class MessageCommands {
  constructor(
    private readonly w: Writes,
    private readonly options: {
      defaultModel: string;
      streamRequested?: StreamRequested;
      creditCheck?: CreditCheck;
      /** Refuses file ids that are unknown, someone else's, or not READY; absent: syntactic checks only. */
      files?: AttachableFiles;
    } & ContextBudgetOptions,
    private readonly admission: GenerationAdmission,
  ) {}

  /**
   * A new user message and its answer. Like `edit` and `regenerate`, it goes through admission
   * (admission.ts): over the user's cap or the backlog bound it is refused before any write, and
   * a user's turns run one at a time in this process, so the cap holds under concurrent sends.
   */
  async send(user: UserPrincipal, input: SendMessageInput): Promise<SendResult> {
    // Credits first: a user with none is refused before admission counts or writes anything.
    await this.options.creditCheck?.(user.userId);
    return this.admission.admit(user.userId, () => this.sendNow(user, input));
  }

  /** A new user message beside `messageId` (which stays), and a new generation for it. */
  async edit(user: UserPrincipal, input: EditMessageInput): Promise<SendResult> {
    await this.options.creditCheck?.(user.userId);
    return this.admission.admit(user.userId, () => this.editNow(user, input));
  }

  /** A new assistant message beside `messageId`, generated again from the same user message. */
  async regenerate(user: UserPrincipal, messageId: string, modelArg: string | null | undefined): Promise<SendResult> {
    await this.options.creditCheck?.(user.userId);
    return this.admission.admit(user.userId, () => this.regenerateNow(user, messageId, modelArg));
  }

  private async sendNow(user: UserPrincipal, input: SendMessageInput): Promise<SendResult> {
    const content = checkContent(input.content);
    const model = await knownModel(this.w.models, input.model);
    const fileIds = await this.attachable(user, input.fileIds);
    if (!input.conversationId) {
      if (input.parentId) throw codedError('BAD_USER_INPUT', 'parentId needs a conversationId', { field: 'parentId' });
      const assistant = input.assistantId ? await usableAssistant(this.w, user, input.assistantId) : undefined;
      const conversation = newConversationDoc(
        user,
        { title: titleFromContent(content), titleSource: 'auto', model: assistant ? undefined : model, assistantId: assistant?._id },
        this.w.now(),
      );
      return this.writeTurn({
        user,
        conversation,
        isNew: true,
        tree: new MessageTree([]),
        parent: undefined,
        userContent: content,
        fileIds,
        model,
        assistant,
      });
    }
    if (input.assistantId)
      throw codedError('BAD_USER_INPUT', 'assistantId only starts a new conversation (without conversationId)', { field: 'assistantId' });
    const conversation = await ownedConversation(this.w.collections, user, input.conversationId);
    const tree = await this.treeOf(conversation._id);
    const parentId = input.parentId ?? conversation.activeLeafId ?? tree.newest()?._id ?? null;
    const parent = parentId ? tree.get(parentId) : undefined;
    if (parentId && !parent) throw codedError('BAD_USER_INPUT', 'parentId is not a message of this conversation', { field: 'parentId' });
    return this.writeTurn({ user, conversation, isNew: false, tree, parent, userContent: content, fileIds, model });
  }

  private async editNow(user: UserPrincipal, input: EditMessageInput): Promise<SendResult> {
    const content = checkContent(input.content);
    const model = await knownModel(this.w.models, input.model);
    const fileIds = await this.attachable(user, input.fileIds);
    const original = await ownedMessage(this.w.collections, user, input.messageId);
    if (original.role !== 'USER') throw codedError('BAD_USER_INPUT', 'Only user messages can be edited', { field: 'messageId' });
    const conversation = await ownedConversation(this.w.collections, user, original.conversationId);
    const tree = await this.treeOf(conversation._id);
    const parent = original.parentId ? tree.get(original.parentId) : undefined;
    return this.writeTurn({ user, conversation, isNew: false, tree, parent, userContent: content, fileIds, model });
  }

  private async regenerateNow(user: UserPrincipal, messageId: string, modelArg: string | null | undefined): Promise<SendResult> {
    const model = await knownModel(this.w.models, modelArg);
    const original = await ownedMessage(this.w.collections, user, messageId);
    if (original.role !== 'ASSISTANT')
      throw codedError('BAD_USER_INPUT', 'Only assistant messages can be regenerated', { field: 'messageId' });
    if (RUNNING.has(original.status)) throw codedError('CONFLICT', 'This message is still being generated');
    const conversation = await ownedConversation(this.w.collections, user, original.conversationId);
    const tree = await this.treeOf(conversation._id);
    const parent = original.parentId ? tree.get(original.parentId) : undefined;
    if (!parent) throw codedError('BAD_USER_INPUT', 'The message has no user message to answer', { field: 'messageId' });
    return this.writeTurn({
      user,
      conversation,
      isNew: false,
      tree,
      parent,
      userContent: null,
      fileIds: [],
      // An assistant's thread answers with the assistant's current model, not the one of the original.
      model: model ?? (conversation.assistantId ? undefined : (original.model ?? undefined)),
    });
  }

  /**
   * The ids checked for shape (limits.ts), then against the files read model: each one the
   * caller's READY message attachment. Before any read of the conversation and any write.
   */
  private async attachable(user: UserPrincipal, ids: readonly string[] | null | undefined): Promise<string[]> {
    const fileIds = checkFileIds(ids);
    await this.options.files?.check(user.userId, fileIds);
    return fileIds;
  }

  /** Makes the path through `messageId` active, down to its newest leaf. */
  async setActive(user: UserPrincipal, messageId: string): Promise<ConversationDoc> {
    const message = await ownedMessage(this.w.collections, user, messageId);
    const tree = await this.treeOf(message.conversationId);
    const leaf = tree.newestLeafUnder(message._id) ?? message;
    // No event: the active branch is a view preference, not a fact other services act on.
    const updated = await this.w.collections.conversations.findOneAndUpdate(
      { _id: message.conversationId, ownerId: user.userId, ...notDeleted },
      { $set: { activeLeafId: leaf._id, updatedAt: this.w.now() } },
      { returnDocument: 'after' },
    );
    if (!updated) throw codedError('NOT_FOUND', 'Conversation not found');
    return updated;
  }

  /** A thread's assistant for a new turn; refused (FORBIDDEN, ASSISTANT_UNAVAILABLE) when deleted or no longer the caller's to use. */
  private async threadAssistant(user: UserPrincipal, assistantId: string): Promise<AssistantDoc> {
    if (!this.w.assistants)
      throw codedError('FORBIDDEN', "This conversation's assistant is not available", { reason: ASSISTANT_UNAVAILABLE, assistantId });
    return this.w.assistants.forTurn(user, assistantId);
  }

  private async treeOf(conversationId: string): Promise<MessageTree> {
    return new MessageTree(await this.w.collections.messages.find({ conversationId, ...notDeleted }));
  }

  private async writeTurn(turn: Turn): Promise<SendResult> {
    const { user, conversation, tree, parent, userContent } = turn;
    const branch = parent ? tree.pathTo(parent._id) : [];
    const lastAssistant = [...branch].reverse().find((m) => m.role === 'ASSISTANT');
    if (lastAssistant && RUNNING.has(lastAssistant.status))
      throw codedError('CONFLICT', 'The previous answer on this branch is still being generated');
    if (userContent !== null && parent?.role === 'USER')
      throw codedError('BAD_USER_INPUT', 'A user message must follow an assistant message', { field: 'parentId' });
    if (userContent === null && parent?.role !== 'USER')
      throw codedError('BAD_USER_INPUT', 'An answer must follow a user message', { field: 'messageId' });
    const assistantDepth = (parent ? parent.depth + 1 : 0) + (userContent === null ? 0 : 1);
    if (assistantDepth > LIMITS.treeDepth)
      throw codedError('BAD_USER_INPUT', `A conversation branch can hold at most ${LIMITS.treeDepth} messages`, { field: 'parentId' });

    const assistant = turn.assistant ?? (conversation.assistantId ? await this.threadAssistant(user, conversation.assistantId) : undefined);
    if (assistant && turn.model !== undefined && turn.model !== assistant.model)
      throw codedError('BAD_USER_INPUT', "An assistant's thread answers with the assistant's model; leave model out", { field: 'model' });

    const now = this.w.now();
    const base = {
      conversationId: conversation._id,
      ownerId: user.userId,
      fileIds: [] as string[],
      tokenCount: null,
      finishReason: null,
      feedback: null,
      createdAt: now,
      updatedAt: now,
    };
    const userMessage: MessageDoc | undefined =
      userContent === null
        ? undefined
        : {
            ...base,
            _id: newId(),
            parentId: parent?._id ?? null,
            role: 'USER',
            content: userContent,
            fileIds: turn.fileIds,
            status: 'COMPLETE',
            streamId: null,
            model: null,
            depth: assistantDepth - 1,
          };
    const answered = userMessage ?? parent;
    if (!answered) throw codedError('BAD_USER_INPUT', 'An answer must follow a user message', { field: 'messageId' });
    const model = assistant
      ? (assistant.model ?? this.options.defaultModel)
      : (turn.model ?? conversation.model ?? this.options.defaultModel);
    const streamId = newId();
    const assistantDoc = {
      ...base,
      _id: newId(),
      parentId: answered._id,
      role: 'ASSISTANT' as const,
      content: '',
      status: 'PENDING' as const,
      streamId,
      model,
      assistantVersion: assistant?.version ?? null,
      depth: assistantDepth,
    };
    // What the model sees: the branch's finished messages; failed or empty answers would only confuse it.
    const history = [...branch, ...(userMessage ? [userMessage] : [])].filter(
      (m) => m.role !== 'ASSISTANT' || (m.status === 'COMPLETE' && m.content.length > 0),
    );
    const context = buildContextWindow(
      systemPromptOf(conversation, assistant),
      history.map((m) => ({ role: m.role, content: m.content, fileIds: m.fileIds ?? [] })),
      contextBudgetFor(model, this.options),
    );

    // The first answer of a conversation whose title nobody chose gets a generated title.
    const generateTitle = conversation.titleSource === 'auto' && !tree.some((m) => m.role === 'ASSISTANT' && m.status === 'COMPLETE');
    // Done before the streamId can reach a client, so streaming knows it is pending (streamRequested.ts);
    // alongside the turn's writes, so it adds no round trip. It never rejects.
    const recorded = this.options.streamRequested?.({
      streamId,
      ownerId: user.userId,
      conversationId: conversation._id,
      messageId: assistantDoc._id,
      requestedAt: now.toISOString(),
    });
    const stored = await this.claimLeaf(turn, assistantDoc._id, now);
    // One ordered insert (one round trip, one journal batch): the user message lands first.
    const inserted = await this.w.collections.messages.insertMany([
      ...(userMessage ? [insertWithOutbox(userMessage, [messageCreated(userMessage)])] : []),
      insertWithOutbox(assistantDoc, [
        messageCreated(assistantDoc),
        generationRequested(assistantDoc, context, generateTitle, samplingOf(assistant)),
      ]),
    ]);
    const assistantMessage = inserted[inserted.length - 1];
    if (!assistantMessage) throw new Error('insertMany returned no documents');
    // The documents this turn gave events: its messages, and the conversation when it is new.
    const messages = this.w.collections.messages.name;
    this.w.eventsQueued(
      ...inserted.map((m) => ({ collection: messages, id: m._id })),
      ...(turn.isNew ? [{ collection: this.w.collections.conversations.name, id: stored._id }] : []),
    );
    await recorded;
    return { conversation: stored, userMessage: userMessage ?? answered, assistantMessage, streamId };
  }

  /** Write (1): the new conversation, or the move of the active leaf conditional on the one we read. */
  private async claimLeaf(turn: Turn, leafId: string, now: Date): Promise<ConversationDoc> {
    const { conversation } = turn;
    const moved = { activeLeafId: leafId, lastMessageId: leafId, lastActivityAt: now, updatedAt: now };
    if (turn.isNew) {
      const doc = { ...conversation, ...moved };
      return this.w.collections.conversations.insertOne(insertWithOutbox(doc, [conversationCreated(doc)]));
    }
    const claimed = await this.w.collections.conversations.findOneAndUpdate(
      {
        _id: conversation._id,
        ownerId: conversation.ownerId,
        activeLeafId: conversation.activeLeafId,
        lastMessageId: conversation.lastMessageId,
        ...notDeleted,
      },
      { $set: moved },
      { returnDocument: 'after' },
    );
    if (!claimed) throw codedError('CONFLICT', 'The conversation changed meanwhile; reload it and try again');
    return claimed;
  }
}

/**
 * The system prompt of a turn: an assistant's instructions first, then the conversation's own
 * system prompt if it has one (each may be empty).
 */
function systemPromptOf(conversation: ConversationDoc, assistant: AssistantDoc | undefined): string | null {
  const parts = [assistant?.instructions, conversation.systemPrompt].filter((p): p is string => typeof p === 'string' && p.length > 0);
  return parts.length > 0 ? parts.join('\n\n') : null;
}

/** The assistant's sampling parameters and version, as `generation.requested` carries them. */
function samplingOf(assistant: AssistantDoc | undefined): GenerationSampling | undefined {
  if (!assistant) return undefined;
  return {
    ...(assistant.temperature !== null ? { temperature: assistant.temperature } : {}),
    ...(assistant.topP !== null ? { topP: assistant.topP } : {}),
    assistantId: assistant._id,
    assistantVersion: assistant.version,
    // ai-gateway runs the tool loop with these (never asking the assistant service).
    ...(assistant.tools.length > 0 ? { tools: [...assistant.tools] } : {}),
    ...(assistant.fileIds.length > 0 ? { knowledge: { ownerId: assistant.ownerId, fileIds: [...assistant.fileIds] } } : {}),
  };
}
