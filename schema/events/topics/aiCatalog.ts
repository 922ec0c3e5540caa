import { defineTopic, type EventsOf } from '../contract';
import { array, number, object, optional, string } from '../validation';

/**
 * `ai.catalog.v1`: the models ai-gateway serves, produced by ai-gateway at start-up (the catalog
 * is read once then, so a restart is the only way it changes). Every event carries the whole
 * catalog under the fixed key `catalogId: 'models'`: the latest event replaces everything before
 * it, so a consumer keeps only the newest one (by `occurredAt`).
 */

/** The one key of `ai.catalog.v1`: there is one catalog. */
export const MODEL_CATALOG_ID = 'models';

const catalogSubject = object({ catalogId: string({ maxLength: 50 }) });
const model = object({
  id: string({ maxLength: 200 }),
  contextWindow: number({ integer: true, min: 1 }),
  capabilities: array(string({ maxLength: 50 }), { maxItems: 50 }),
  /** US dollars per million prompt tokens; rate-limit debits credits with it. Added later: optional (absent: unpriced). */
  inputPricePerMTok: optional(number({ min: 0, max: 1_000_000 })),
  /** US dollars per million completion tokens. Added later: optional (absent: unpriced). */
  outputPricePerMTok: optional(number({ min: 0, max: 1_000_000 })),
});

const events = {
  /** The complete catalog as of now: models not listed are no longer offered. */
  'catalog.published': {
    subject: catalogSubject,
    payload: object({ models: array(model, { maxItems: 1000 }) }),
  },
};

/** The `ai.catalog.v1` contract. */
export const aiCatalogV1 = defineTopic({ topic: 'ai.catalog.v1', keyedBy: 'catalogId', events });

/** Any event of `ai.catalog.v1`, discriminated by `type`. */
export type AiCatalogEvent = EventsOf<typeof events>;
