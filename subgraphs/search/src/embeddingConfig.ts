import { int, oneOf, optional, str, url, type Logger } from '@chatgraph/kit';
import { hashedTrigramEmbedder, type Embedder } from './embedding';
import { gatewayEmbedder } from './gatewayEmbedder';

/** search's embedding settings (part of `searchConfigSpec`). */
export const embeddingConfigSpec = {
  SEARCH_EMBEDDINGS: oneOf(['local', 'ai-gateway'], {
    description:
      "Where documents and queries are embedded: `local`, in process by `hashed-trigrams-v1-<SEARCH_EMBEDDING_DIMENSIONS>` (hashed character trigrams: near spellings, not meaning; no model runs offline here); `ai-gateway`, the model catalog's embedding model through ai-gateway's signed `/internal/embeddings` route at AI_GATEWAY_URL",
    default: 'local',
  }),
  AI_GATEWAY_URL: optional(
    url({
      description:
        'ai-gateway base URL for SEARCH_EMBEDDINGS=ai-gateway when search runs on its own, e.g. `http://ai-gateway:4006` (in one process search uses its own ai-gateway)',
    }),
  ),
  SEARCH_EMBEDDING_MODEL: optional(
    str({
      description:
        "SEARCH_EMBEDDINGS=ai-gateway: the catalog model to embed with; unset, the catalog's `embeddingModel` (a change of it re-embeds every document)",
    }),
  ),
  SEARCH_EMBEDDING_DIMENSIONS: int({
    description:
      "Dimensions of the embeddings, hence of the index's vector field (Elasticsearch's `dense_vector` mapping): the model's (an answer of other dimensions is refused). A change needs a new index (SEARCH_INDEX_NAME) on Elasticsearch",
    default: 256,
    min: 1,
    max: 4096,
  }),
  SEARCH_EMBEDDING_BATCH: int({
    description: 'Texts per embeddings request to ai-gateway (its route takes at most 128)',
    default: 128,
    min: 1,
    max: 128,
  }),
  SEARCH_EMBEDDING_TIMEOUT_MS: int({ description: 'Time bound of one embeddings request to ai-gateway', default: 10_000, min: 1 }),
  SEARCH_EMBEDDING_ATTEMPTS: int({
    description: 'Tries of one embeddings request (the first included) on a network failure, timeout, 429 or 5xx, with exponential backoff',
    default: 3,
    min: 1,
    max: 10,
  }),
  SEARCH_EMBEDDING_BACKOFF_MS: int({
    description: 'Backoff before the second try of an embeddings request; doubled for each next one',
    default: 200,
    min: 0,
  }),
  SEARCH_EMBEDDING_COOLDOWN_MS: int({
    description:
      'After ai-gateway failed every try, embeddings are not asked for this long: documents are indexed by their words at once (marked for embedding) and SEMANTIC/HYBRID answer UNAVAILABLE without waiting',
    default: 5_000,
    min: 0,
  }),
  SEARCH_REEMBED_BATCH: int({
    description:
      'Documents the background re-embedding pass embeds per step (those marked for embedding when ai-gateway was down, or embedded by another model than the current one); 0 turns the pass off (e.g. on all but one instance)',
    default: 64,
    min: 0,
    max: 128,
  }),
  SEARCH_REEMBED_INTERVAL_MS: int({
    description: 'Pause of the re-embedding pass once nothing is left to embed, or after ai-gateway could not answer',
    default: 5_000,
    min: 1,
  }),
};

type EmbeddingConfig = { [K in keyof typeof embeddingConfigSpec]: ReturnType<(typeof embeddingConfigSpec)[K]['parse']> } & {
  INTERNAL_SIGNING_SECRET: string;
};

/**
 * Problems of the embedding settings, for `loadSearchConfig`'s single error. In one process the
 * launcher connects search to its ai-gateway once that listens, so no URL is needed there.
 */
export function embeddingConfigProblems(
  config: Pick<EmbeddingConfig, 'SEARCH_EMBEDDINGS' | 'AI_GATEWAY_URL'>,
  oneProcess = false,
): string[] {
  return config.SEARCH_EMBEDDINGS === 'ai-gateway' && !config.AI_GATEWAY_URL && !oneProcess
    ? ['AI_GATEWAY_URL is required when SEARCH_EMBEDDINGS=ai-gateway']
    : [];
}

/** The embedder the configuration names; `gatewayUrl` overrides AI_GATEWAY_URL (the one-process launcher's, known later). */
export function embedderFromConfig(config: EmbeddingConfig, logger: Logger, gatewayUrl?: () => string | undefined): Embedder {
  if (config.SEARCH_EMBEDDINGS === 'local') return hashedTrigramEmbedder(config.SEARCH_EMBEDDING_DIMENSIONS);
  return gatewayEmbedder({
    url: gatewayUrl ?? config.AI_GATEWAY_URL ?? '',
    signingSecret: config.INTERNAL_SIGNING_SECRET,
    dims: config.SEARCH_EMBEDDING_DIMENSIONS,
    ...(config.SEARCH_EMBEDDING_MODEL ? { model: config.SEARCH_EMBEDDING_MODEL } : {}),
    batchSize: config.SEARCH_EMBEDDING_BATCH,
    timeoutMs: config.SEARCH_EMBEDDING_TIMEOUT_MS,
    attempts: config.SEARCH_EMBEDDING_ATTEMPTS,
    backoffMs: config.SEARCH_EMBEDDING_BACKOFF_MS,
    cooldownMs: config.SEARCH_EMBEDDING_COOLDOWN_MS,
    logger,
  });
}
