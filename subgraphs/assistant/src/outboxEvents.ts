import { outboxEvent, type OutboxEvent } from '@chatgraph/kit/events';
import { assistantAssistantV1, type AssistantState } from '@chatgraph/schema';
import type { AssistantDoc } from './store';

/** The state `assistant.created|updated` carry: what a consumer needs to let a user use it and run a turn. */
function stateOf(doc: AssistantDoc): AssistantState {
  return {
    version: doc.version,
    name: doc.name,
    instructions: doc.instructions,
    model: doc.model,
    temperature: doc.temperature,
    topP: doc.topP,
    tools: doc.tools,
    fileIds: doc.fileIds,
    visibility: doc.visibility,
    sharedWith: doc.sharedWith,
  };
}

function entry(event: ReturnType<typeof assistantAssistantV1.create>): OutboxEvent {
  return outboxEvent(assistantAssistantV1.topic, assistantAssistantV1.keyOf(event), event);
}

const subjectOf = (doc: AssistantDoc) => ({ assistantId: doc._id, ownerId: doc.ownerId });

/** `assistant.created` of a new assistant, for its insert. */
export function assistantCreated(doc: AssistantDoc): OutboxEvent {
  return entry(assistantAssistantV1.create('assistant.created', subjectOf(doc), stateOf(doc), { occurredAt: doc.createdAt }));
}

/** `assistant.updated` with the state after the change (`doc` as written). */
export function assistantUpdated(doc: AssistantDoc): OutboxEvent {
  return entry(assistantAssistantV1.create('assistant.updated', subjectOf(doc), stateOf(doc), { occurredAt: doc.updatedAt }));
}

/** `assistant.deleted`, for its tombstone; `version` is the last one. */
export function assistantDeleted(doc: AssistantDoc, at: Date): OutboxEvent {
  return entry(assistantAssistantV1.create('assistant.deleted', subjectOf(doc), { version: doc.version }, { occurredAt: at }));
}
