import { defineTopic, type EventsOf } from '../contract';
import { z } from 'zod';
import { count, text } from '../validation';

/**
 * `ai.catalog.v1`: the models ai-gateway serves, produced by ai-gateway at start-up (the catalog
 * is read once then, so a restart is the only way it changes). Every event carries the whole
 * catalog under the fixed key `catalogId: 'models'`: the latest event replaces everything before
 * it, so a consumer keeps only the newest one (by `occurredAt`).
 */

/** The one key of `ai.catalog.v1`: there is one catalog. */
export const MODEL_CATALOG_ID = 'models';

const catalogSubject = z.object({ catalogId: text(50) });
/** One model of the catalog, as every consumer (conversation, rate-limit) reads it. */
export const catalogModelSchema = z.object({
  id: text(200),
  contextWindow: count(1),
  capabilities: z.array(text(50)).max(50),
  /** US dollars per million prompt tokens; rate-limit debits credits with it. Added later: optional (absent: unpriced). */
  inputPricePerMTok: z.number().min(0).max(1_000_000).optional(),
  /** US dollars per million completion tokens. Added later: optional (absent: unpriced). */
  outputPricePerMTok: z.number().min(0).max(1_000_000).optional(),
});

const events = {
  /** The complete catalog as of now: models not listed are no longer offered. */
  'catalog.published': {
    subject: catalogSubject,
    payload: z.object({ models: z.array(catalogModelSchema).max(1000) }),
  },
};

/** The `ai.catalog.v1` contract. */
export const aiCatalogV1 = defineTopic({ topic: 'ai.catalog.v1', keyedBy: 'catalogId', events });

/** Any event of `ai.catalog.v1`, discriminated by `type`. */
export type AiCatalogEvent = EventsOf<typeof events>;
/** One model of a published catalog. */
export type CatalogModel = z.infer<typeof catalogModelSchema>;
