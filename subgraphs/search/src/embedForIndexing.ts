import type { Logger } from '@chatgraph/kit';
import { EmbeddingUnavailableError, type Embedder, type Embeddings } from './embedding';

/**
 * The `embeddingModel` of a document indexed while embeddings were unavailable: it is found by its
 * words at once and embedded later by the re-embedding pass (no model is named like this).
 */
export const PENDING_EMBEDDING = '(pending)';

/**
 * Embeds a document's texts for the indexing consumer. When the embedder cannot answer now
 * (ai-gateway down after its retries), the document is still indexed — keyword-searchable, no
 * vector, `embeddingModel` = `PENDING_EMBEDDING` — and the event is acknowledged: the background
 * pass embeds it once ai-gateway answers, so nothing is lost and the partition is not held up.
 */
export async function embedForIndexing(deps: { embedder: Embedder; logger: Logger }, texts: readonly string[]): Promise<Embeddings> {
  try {
    return await deps.embedder.embed(texts);
  } catch (error) {
    if (!(error instanceof EmbeddingUnavailableError)) throw error;
    deps.logger.warn({ err: error.message, texts: texts.length }, 'embeddings unavailable: indexed by words, marked for embedding');
    return { model: PENDING_EMBEDDING, vectors: texts.map(() => null) };
  }
}
