import { Schema } from 'mongoose';
import { aiCatalogV1, MODEL_CATALOG_ID } from '@chatgraph/schema';
import { codedError } from '../errors';
import type { Logger } from '../logger';
import type { Collection, CollectionSpec, DocumentStore, StoredDocument } from '../store';
import type { EventBus, EventDelivery, Subscription } from '../events';

/**
 * A service's read model of ai-gateway's model catalog, fed by `ai.catalog.v1` (never by a call
 * to ai-gateway), so a mutation naming a model that does not exist is refused with
 * BAD_USER_INPUT `field: 'model'` before anything is written, instead of failing a generation
 * later. Conversation checks the models of turns with it, assistant the model of an assistant.
 *
 * Staleness and bootstrap, accepted on purpose:
 * - Until a catalog has ever been seen (fresh deployment, ai-gateway not started yet) every model
 *   name is accepted: refusing everything would make the graph unusable for want of one event.
 *   ai-gateway still fails a generation for a model it does not serve.
 * - After that, the newest catalog seen is the truth until the next one arrives: a model added to
 *   ai-gateway's catalog is refused until ai-gateway has restarted and the event was consumed
 *   (normally well under a second), a removed one is accepted until then.
 * - The catalog is kept in the document store (one document), so every instance of the service
 *   and a restarted one agree at once, whichever instance consumed the event.
 */

/** The capability chat needs: catalog models without it (embeddings) are refused for chat. */
export const CHAT_CAPABILITY = 'chat';

/** One catalog model as a read model keeps it. */
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

/** The read model's collection (in the owning service's own database). */
export const modelCatalogSpec: CollectionSpec<ModelCatalogDoc> = { name: 'model_catalog', schema: catalogSchema };

/** Checks model names against the newest catalog this service has seen. */
export class ModelCatalogView {
  private readonly collection: Collection<ModelCatalogDoc>;

  constructor(store: DocumentStore) {
    this.collection = store.collection(modelCatalogSpec);
  }

  /**
   * `model` itself when it is a chat model of the catalog, or when no catalog was seen yet (see
   * above); otherwise BAD_USER_INPUT `field: 'model'`. `undefined` (no model chosen) passes.
   */
  async check(model: string): Promise<string>;
  async check(model: string | undefined): Promise<string | undefined>;
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

/** Subscribes the catalog consumer under the service's own group; `stop()` the subscription to drain it. */
export function subscribeModelCatalog(
  bus: EventBus,
  groupId: string,
  handler: ReturnType<typeof modelCatalogHandler>,
): Promise<Subscription> {
  return bus.subscribe({ groupId, topics: [aiCatalogV1.topic], handler });
}
