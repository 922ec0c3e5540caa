import { Schema } from 'mongoose';
import { codedError, type Logger, type UserPrincipal } from '@chatgraph/kit';
import { upsertIfNewer, type Collection, type CollectionSpec, type DocumentStore, type StoredDocument } from '@chatgraph/kit/store';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import {
  isAssistantTool,
  ASSISTANT_VISIBILITIES,
  assistantAssistantV1,
  type AssistantEvent,
  type AssistantTool,
  type AssistantVisibility,
} from '@chatgraph/schema';

/**
 * Conversation's read model of the assistant service's assistants, fed by `assistant.assistant.v1`
 * (never by a call to the assistant subgraph): `sendMessage` checks that the caller may use an
 * assistant, and every turn of an assistant's thread reads its current model, instructions and
 * parameters from here.
 *
 * One document per assistant. `assistant.created|updated` carry the whole state and its `version`,
 * so a document is replaced only by a newer version (`rank`): a redelivery or a late event is a
 * no-op. `assistant.deleted` is a tombstone with the highest rank there is, so it wins over every
 * other event, even one that arrives after it, and is stored even when it arrives first.
 *
 * Staleness, accepted on purpose: an assistant is usable here once its `assistant.created` has been
 * consumed (normally well under a second after `createAssistant`); a change of sharing or a
 * deletion applies from the next turn after its event is consumed.
 */

/** The consumer group that keeps the read model. */
export const ASSISTANTS_GROUP = 'conversation.assistants';

/** Why a thread's assistant cannot take a new turn (`extensions.reason` with FORBIDDEN). */
export const ASSISTANT_UNAVAILABLE = 'ASSISTANT_UNAVAILABLE';

/** One assistant as conversation keeps it, `_id` = the assistant id. */
export interface AssistantDoc extends StoredDocument {
  ownerId: string;
  /** The assistant's own version (bumped by every change); the last one for a tombstone. */
  version: number;
  model: string | null;
  instructions: string;
  temperature: number | null;
  topP: number | null;
  tools: AssistantTool[];
  fileIds: string[];
  visibility: AssistantVisibility | null;
  sharedWith: string[];
  deleted: boolean;
  /** `version`, or TOMBSTONE_RANK once deleted: the update guard (see the module comment). */
  rank: number;
}

/** Above every version: nothing replaces a tombstone. */
const TOMBSTONE_RANK = Number.MAX_SAFE_INTEGER;

const assistantSchema = new Schema<AssistantDoc>(
  {
    _id: { type: String },
    ownerId: { type: String, required: true },
    version: { type: Number, required: true },
    model: { type: String, default: null },
    instructions: { type: String, default: '' },
    temperature: { type: Number, default: null },
    topP: { type: Number, default: null },
    tools: { type: [{ type: String, validate: isAssistantTool }], default: [] },
    fileIds: { type: [String], default: [] },
    visibility: { type: String, enum: [...ASSISTANT_VISIBILITIES, null], default: null },
    sharedWith: { type: [String], default: [] },
    deleted: { type: Boolean, required: true },
    rank: { type: Number, required: true },
  },
  { versionKey: false },
);

/** The read model's collection. */
export const assistantsSpec: CollectionSpec<AssistantDoc> = { name: 'assistants', schema: assistantSchema };

type AssistantFields = Omit<AssistantDoc, '_id'>;

/** The fields an event sets. */
function fieldsOf(event: AssistantEvent): AssistantFields {
  const ownerId = event.subject.ownerId;
  if (event.type === 'assistant.deleted') {
    // Forgotten: only the owner, the last version and the tombstone stay.
    const { version } = event.payload;
    return {
      ownerId,
      version,
      model: null,
      instructions: '',
      temperature: null,
      topP: null,
      tools: [],
      fileIds: [],
      visibility: null,
      sharedWith: [],
      deleted: true,
      rank: TOMBSTONE_RANK,
    };
  }
  const { version, model, instructions, temperature, topP, tools, fileIds, visibility, sharedWith } = event.payload;
  return {
    ownerId,
    version,
    model,
    instructions,
    temperature,
    topP,
    tools,
    fileIds,
    visibility,
    sharedWith,
    deleted: false,
    rank: version,
  };
}

/** Whether `user` may use `assistant` (its visibility; an ADMIN may use any). */
export function mayUse(assistant: AssistantDoc, user: UserPrincipal): boolean {
  if (assistant.deleted) return false;
  if (user.role === 'ADMIN' || assistant.ownerId === user.userId) return true;
  switch (assistant.visibility) {
    case 'PUBLIC':
      return true;
    case 'SHARED':
      return assistant.sharedWith.includes(user.userId);
    default:
      return false;
  }
}

/** The assistants conversation has heard of, and the checks their use goes through. */
export class Assistants {
  private readonly collection: Collection<AssistantDoc>;

  constructor(store: DocumentStore) {
    this.collection = store.collection(assistantsSpec);
  }

  /**
   * The assistant a new thread starts with, when `user` may use it; otherwise BAD_USER_INPUT
   * `field: 'assistantId'`. Unknown, deleted and someone else's private assistant get the same
   * message, so an id never reveals whether a private assistant exists.
   */
  async forNewThread(user: UserPrincipal, assistantId: string): Promise<AssistantDoc> {
    const assistant = await this.collection.findById(assistantId);
    if (!assistant || !mayUse(assistant, user))
      throw codedError('BAD_USER_INPUT', `assistant '${assistantId}' is unknown`, { field: 'assistantId' });
    return assistant;
  }

  /**
   * The current state of a thread's assistant for a new turn; FORBIDDEN with
   * `reason: ASSISTANT_UNAVAILABLE` when it was deleted or `user` may no longer use it (the
   * conversation stays readable, only new turns are refused).
   */
  async forTurn(user: UserPrincipal, assistantId: string): Promise<AssistantDoc> {
    const assistant = await this.collection.findById(assistantId);
    if (!assistant || !mayUse(assistant, user))
      throw codedError('FORBIDDEN', "This conversation's assistant was deleted or is no longer available to you", {
        reason: ASSISTANT_UNAVAILABLE,
        assistantId,
      });
    return assistant;
  }

  /** Applies an event unless a newer version (or the tombstone) is stored. Idempotent; resolves whether it applied. */
  async apply(event: AssistantEvent): Promise<boolean> {
    const fields = fieldsOf(event);
    return upsertIfNewer(this.collection, event.subject.assistantId, 'rank', fields);
  }
}

/** The `assistant.assistant.v1` consumer: keeps the newest state of each assistant. */
export function assistantsHandler(view: Assistants, logger: Logger) {
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== assistantAssistantV1.topic) return;
    const event = assistantAssistantV1.validate(delivery.event);
    const applied = await view.apply(event);
    logger.debug(
      { assistantId: event.subject.assistantId, type: event.type, applied },
      applied ? 'assistant read model updated' : 'older assistant event ignored',
    );
  };
}

/** Subscribes the assistant consumer; `stop()` the subscription to drain it. */
export function subscribeAssistants(bus: EventBus, handler: ReturnType<typeof assistantsHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: ASSISTANTS_GROUP, topics: [assistantAssistantV1.topic], handler });
}
