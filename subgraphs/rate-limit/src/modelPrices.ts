import { Schema } from 'mongoose';
import type { Logger } from '@chatgraph/kit';
import type { Collection, CollectionSpec, DocumentStore, StoredDocument } from '@chatgraph/kit/store';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { aiCatalogV1, MODEL_CATALOG_ID } from '@chatgraph/schema';

/**
 * rate-limit's read model of the model prices in ai-gateway's catalog, fed by `ai.catalog.v1`
 * (never by a call). The newest catalog seen is the truth: a price changed in ai-gateway's
 * catalog applies to generations debited after the new catalog was consumed (normally well
 * under a second after ai-gateway restarted). A model without a price (or before any catalog
 * was seen) is charged the UNPRICED_* rates.
 */

/** The consumer group that keeps the price read model. */
export const MODEL_PRICES_GROUP = 'rate-limit.model-prices';

/** A model's prices in US dollars per million tokens (= credits per token). */
export interface ModelPrice {
  id: string;
  inputPricePerMTok: number | null;
  outputPricePerMTok: number | null;
}

/** The stored price list: one document, `_id: 'models'`. */
export interface ModelPricesDoc extends StoredDocument {
  models: ModelPrice[];
  /** `occurredAt` of the event it came from: an older event never replaces a newer list. */
  publishedAt: Date;
}

const pricesSchema = new Schema<ModelPricesDoc>(
  {
    _id: { type: String },
    models: [
      {
        _id: false,
        id: { type: String, required: true },
        inputPricePerMTok: { type: Number, default: null },
        outputPricePerMTok: { type: Number, default: null },
      },
    ],
    publishedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

/** The read model's collection. */
export const modelPricesSpec: CollectionSpec<ModelPricesDoc> = { name: 'model_prices', schema: pricesSchema };

/** The newest model prices rate-limit has seen. */
export class ModelPrices {
  private readonly collection: Collection<ModelPricesDoc>;

  constructor(store: DocumentStore) {
    this.collection = store.collection(modelPricesSpec);
  }

  /** The prices of `model`, or null when no catalog was seen or it does not list the model. */
  async priceOf(model: string): Promise<ModelPrice | null> {
    const list = await this.collection.findById(MODEL_CATALOG_ID);
    return list?.models.find((m) => m.id === model) ?? null;
  }

  /** Stores a catalog's prices unless a newer catalog is already stored. Idempotent. */
  async apply(models: ModelPrice[], publishedAt: Date): Promise<boolean> {
    const current = await this.collection.findById(MODEL_CATALOG_ID);
    if (current && current.publishedAt.getTime() > publishedAt.getTime()) return false;
    await this.collection.updateOne({ _id: MODEL_CATALOG_ID }, { $set: { models, publishedAt } }, { upsert: true });
    return true;
  }
}

/** The `ai.catalog.v1` consumer: keeps each catalog's prices (the newest wins). */
export function modelPricesHandler(prices: ModelPrices, logger: Logger) {
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== aiCatalogV1.topic) return;
    const event = aiCatalogV1.validate(delivery.event);
    const models = event.payload.models.map((m) => ({
      id: m.id,
      inputPricePerMTok: m.inputPricePerMTok ?? null,
      outputPricePerMTok: m.outputPricePerMTok ?? null,
    }));
    const applied = await prices.apply(models, new Date(event.occurredAt));
    logger.info({ models: models.length, applied }, applied ? 'model prices updated' : 'older model catalog ignored');
  };
}

/** Subscribes the catalog consumer; `stop()` the subscription to drain it. */
export function subscribeModelPrices(bus: EventBus, handler: ReturnType<typeof modelPricesHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: MODEL_PRICES_GROUP, topics: [aiCatalogV1.topic], handler });
}
