import { Schema } from 'mongoose';
import { codedError, type Logger } from '@chatgraph/kit';
import type { Collection, CollectionSpec, DocumentStore, StoredDocument } from '@chatgraph/kit/store';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { aiCatalogV1, MODEL_CATALOG_ID } from '@chatgraph/schema';
import { checkModel } from './limits';

/**
 * Conversation's read model of ai-gateway's model catalog, fed by `ai.catalog.v1` (never by a call
 * to ai-gateway), so a mutation naming a model that does not exist is refused with
 * BAD_USER_INPUT `field: 'model'` before anything is written, instead of failing the generation
 * later.
 *
 * Staleness and bootstrap, accepted on purpose:
 * - Until a catalog has ever been seen (fresh deployment, ai-gateway not started yet) every model
 *   name is accepted, as before: refusing everything would make the graph unusable for want of
 *   one event. ai-gateway still fails a generation for a model it does not serve.
 * - After that, the newest catalog seen is the truth until the next one arrives: a model added to
 *   ai-gateway's catalog is refused until ai-gateway has restarted and the event was consumed
 *   (normally well under a second), a removed one is accepted until then.
 * - The catalog is kept in the document store (one document), so every conversation instance and
 *   a restarted one agree at once, whichever instance consumed the event.
 */

/** The model chat messages need: catalog models without it (embeddings) are refused for chat. */
export const CHAT_CAPABILITY = 'chat';
/** The consumer group that keeps the catalog read model. */
export const MODEL_CATALOG_GROUP = 'conversation.model-catalog';

/** One catalog model as conversation keeps it. */
export interface KnownModel {
  id: string;
  contextWindow: number;
  capabilities: string[];
}

/** The stored catalog: one document, `_id: 'models'`. */
export interface ModelCatalogDoc extends StoredDocument {
  models: KnownModel[];
  /** `occurredAt` of the event it came from: an older event never replaces a newer catalog. */
  publishedAt: Date;
}

const catalogSchema = new Schema<ModelCatalogDoc>(
  {
    _id: { type: String },
    models: [
      {
        _id: false,
        id: { type: String, required: true },
        contextWindow: { type: Number, required: true },
        capabilities: { type: [String], default: [] },
      },
    ],
    publishedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

/** The read model's collection. */
export const modelCatalogSpec: CollectionSpec<ModelCatalogDoc> = { name: 'model_catalog', schema: catalogSchema };

/** Checks model names against the newest catalog conversation has seen. */
export class ModelCatalogView {
  private readonly collection: Collection<ModelCatalogDoc>;

  constructor(store: DocumentStore) {
    this.collection = store.collection(modelCatalogSpec);
  }

  /**
   * `model` itself when it is a chat model of the catalog, or when no catalog was seen yet (see
   * above); otherwise BAD_USER_INPUT `field: 'model'`. `undefined` (no model chosen) passes.
   */
  async check(model: string | undefined): Promise<string | undefined> {
    if (model === undefined) return undefined;
    const catalog = await this.collection.findById(MODEL_CATALOG_ID);
    if (!catalog) return model;
    const known = catalog.models.find((m) => m.id === model);
    if (!known) throw codedError('BAD_USER_INPUT', `model '${model}' is not in the model catalog (see Query.models)`, { field: 'model' });
    if (!known.capabilities.includes(CHAT_CAPABILITY))
      throw codedError('BAD_USER_INPUT', `model '${model}' cannot chat`, { field: 'model' });
    return model;
  }

  /** Applies a `catalog.published` event unless a newer catalog is already stored. Idempotent. */
  async apply(models: KnownModel[], publishedAt: Date): Promise<boolean> {
    const current = await this.collection.findById(MODEL_CATALOG_ID);
    if (current && current.publishedAt.getTime() > publishedAt.getTime()) return false;
    const fields = {
      models: models.map((m) => ({ id: m.id, contextWindow: m.contextWindow, capabilities: [...m.capabilities] })),
      publishedAt,
    };
    await this.collection.updateOne({ _id: MODEL_CATALOG_ID }, { $set: fields }, { upsert: true });
    return true;
  }
}

/** The `ai.catalog.v1` consumer: stores each catalog it receives (the newest wins). */
export function modelCatalogHandler(view: ModelCatalogView, logger: Logger) {
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== aiCatalogV1.topic) return;
    const event = aiCatalogV1.validate(delivery.event);
    const applied = await view.apply(event.payload.models, new Date(event.occurredAt));
    logger.info({ models: event.payload.models.length, applied }, applied ? 'model catalog updated' : 'older model catalog ignored');
  };
}

/** Subscribes the catalog consumer; `stop()` the subscription to drain it. */
export function subscribeModelCatalog(bus: EventBus, handler: ReturnType<typeof modelCatalogHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: MODEL_CATALOG_GROUP, topics: [aiCatalogV1.topic], handler });
}

/** A model name a client gave: its length checked (limits.ts), then checked against the catalog when there is a view. */
export async function knownModel(view: ModelCatalogView | undefined, model: string | null | undefined): Promise<string | undefined> {
  const checked = checkModel(model);
  return view ? view.check(checked) : checked;
}
