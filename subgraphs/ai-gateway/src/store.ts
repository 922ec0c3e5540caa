import { Schema } from 'mongoose';
import type { Collection, CollectionSpec, DocumentStore, StoredDocument } from '@chatgraph/kit/store';
import { addOutbox, OUTBOX_INDEX, type OutboxFields } from '@chatgraph/kit/events';
import type { TokenStreamOutcome } from '@chatgraph/schema';

/**
 * ai-gateway's one collection: a document per generation, unique on `streamId`, so a redelivered
 * request never generates twice. It is the lease of the instance running it (`leaseUntil`,
 * renewed by heartbeats; an expired lease means that instance is gone) and carries the outbox
 * of the generation's events, so an outcome acknowledged here is never lost.
 */

export type GenerationState = 'queued' | 'running' | 'done';

export interface GenerationDoc extends StoredDocument, OutboxFields {
  streamId: string;
  conversationId: string;
  messageId: string;
  ownerId: string;
  model: string;
  generateTitle: boolean;
  state: GenerationState;
  /** The instance running it (its lease). */
  instanceId: string;
  leaseUntil: Date;
  createdAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  outcome: TokenStreamOutcome | null;
  finishReason: string | null;
  deployment: string | null;
  title: string | null;
  /** The `done` entry is written; an ended generation without it is closed by the sweep. */
  streamClosed: boolean;
}

const generationSchema = new Schema<GenerationDoc>(
  {
    _id: { type: String },
    streamId: { type: String, required: true },
    conversationId: { type: String, required: true },
    messageId: { type: String, required: true },
    ownerId: { type: String, required: true },
    model: { type: String, required: true },
    generateTitle: { type: Boolean, required: true, default: false },
    state: { type: String, required: true, enum: ['queued', 'running', 'done'] },
    instanceId: { type: String, required: true },
    leaseUntil: { type: Date, required: true },
    createdAt: { type: Date, required: true },
    startedAt: { type: Date, default: null },
    endedAt: { type: Date, default: null },
    outcome: { type: String, default: null, enum: ['COMPLETE', 'FAILED', 'ABORTED'] },
    finishReason: { type: String, default: null },
    deployment: { type: String, default: null },
    title: { type: String, default: null },
    streamClosed: { type: Boolean, required: true, default: false },
  },
  { versionKey: false },
);
addOutbox(generationSchema);

export const generationsSpec: CollectionSpec<GenerationDoc> = {
  name: 'generations',
  schema: generationSchema,
  indexes: [
    { fields: { streamId: 1 }, unique: true },
    { fields: { state: 1, leaseUntil: 1 } },
    { fields: { state: 1, streamClosed: 1, endedAt: 1 } },
    OUTBOX_INDEX,
  ],
};

export interface AiGatewayCollections {
  generations: Collection<GenerationDoc>;
}

export function aiGatewayCollections(store: DocumentStore): AiGatewayCollections {
  return { generations: store.collection(generationsSpec) };
}

/** Matches generations not yet ended: every outcome write is guarded by it, so only one wins. */
export const OPEN_GENERATION = { state: { $in: ['queued', 'running'] } };
