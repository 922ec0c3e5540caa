import { Schema } from 'mongoose';
import type { Collection, CollectionSpec, DocumentStore, StoredDocument } from '@chatgraph/kit/store';
import { addOutbox, OUTBOX_INDEX, outboxEvent, updateWithOutbox, type OutboxFields } from '@chatgraph/kit/events';
import { aiCatalogV1, MODEL_CATALOG_ID } from '@chatgraph/schema';
import type { ModelCatalog } from './catalog';

/**
 * ai-gateway publishes its model catalog as `ai.catalog.v1` `catalog.published`, so other services
 * (conversation refuses unknown models with it) learn which models exist from an event, never
 * from a call. The event goes through an outbox like every other: one document, `_id: 'models'`,
 * whose update at start-up queues the event, so a crash between "decided to publish" and "published"
 * cannot lose it. The catalog is read once at start-up, so publishing at every start covers every
 * change; an unchanged catalog is published again, which is harmless (consumers keep the newest).
 */

/** The one publication document. */
export interface CatalogPublicationDoc extends StoredDocument, OutboxFields {
  publishedAt: Date;
}

const publicationSchema = new Schema<CatalogPublicationDoc>(
  { _id: { type: String }, publishedAt: { type: Date, required: true } },
  { versionKey: false },
);
addOutbox(publicationSchema);

/** Its collection: one document with the outbox of the catalog events. */
export const catalogPublicationsSpec: CollectionSpec<CatalogPublicationDoc> = {
  name: 'catalog_publications',
  schema: publicationSchema,
  indexes: [OUTBOX_INDEX],
};

/** The publication collection of `store`. */
export function catalogPublications(store: DocumentStore): Collection<CatalogPublicationDoc> {
  return store.collection(catalogPublicationsSpec);
}

/** The `catalog.published` event for `catalog`: every model's id, context window, capabilities and prices (when priced). */
export function catalogPublished(catalog: ModelCatalog, now: Date) {
  const models = catalog.models.map((m) => ({
    id: m.id,
    contextWindow: m.contextWindow,
    capabilities: [...m.capabilities],
    // rate-limit debits credits from these; an unpriced model is left without them.
    ...(m.inputPricePerMTok === null ? {} : { inputPricePerMTok: m.inputPricePerMTok }),
    ...(m.outputPricePerMTok === null ? {} : { outputPricePerMTok: m.outputPricePerMTok }),
  }));
  return aiCatalogV1.create('catalog.published', { catalogId: MODEL_CATALOG_ID }, { models }, { occurredAt: now });
}

/** Queues the catalog event on the publication document (created on first start); the relay publishes it. */
export async function publishCatalog(collection: Collection<CatalogPublicationDoc>, catalog: ModelCatalog, now: Date): Promise<void> {
  const entry = outboxEvent(aiCatalogV1.topic, MODEL_CATALOG_ID, catalogPublished(catalog, now));
  await collection.updateOne({ _id: MODEL_CATALOG_ID }, updateWithOutbox({ $set: { publishedAt: now } }, [entry]), { upsert: true });
}
