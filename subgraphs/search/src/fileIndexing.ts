import type { Logger } from '@chatgraph/kit';
import type { SearchIndex } from '@chatgraph/kit/search';
import { fileFileV1 } from '@chatgraph/schema';
import { DOC_KINDS } from './definition';
import { embedForIndexing } from './embedForIndexing';
import type { Embedder } from './embedding';

/** The index id of a file's chunk: one document per chunk, so a redelivered batch replaces itself. */
export function chunkDocumentId(fileId: string, index: number): string {
  return `${fileId}#${index}`;
}

/**
 * Applies file's events to the index:
 * - `file.chunked` indexes each chunk of the batch as a FILE document of the file's owner (its
 *   text, embedding and `fileId`), one document per chunk position;
 * - `file.deleted` (the tombstone) removes every chunk of the file, whatever their number, by
 *   the file id within the owner's documents.
 * Uploads, processing results and failures carry nothing searchable. Every effect is an upsert
 * by absolute id or a delete, so a redelivered event changes nothing more; events of one file
 * share a key (its id), so a deletion is applied after the chunks it removes.
 */
export async function applyFileEvent(deps: { index: SearchIndex; embedder: Embedder; logger: Logger }, raw: unknown): Promise<void> {
  const { index, logger } = deps;
  const event = fileFileV1.validate(raw);
  const { fileId, ownerId } = event.subject;
  if (event.type === 'file.deleted') {
    const removed = await index.deleteMatching(ownerId, { fileId });
    logger.info({ fileId, removed }, 'deleted file: its chunks left the index');
    return;
  }
  if (event.type !== 'file.chunked') return;
  // A chunk with nothing but whitespace has nothing to find (and the port refuses empty text).
  const chunks = event.payload.chunks.filter((chunk) => chunk.text.trim() !== '');
  // One embeddings call for the batch of chunks (the embedder splits it into route-sized requests).
  const { model, vectors } = await embedForIndexing(
    deps,
    chunks.map((chunk) => chunk.text),
  );
  const docs = chunks.map((chunk, i) => {
    const vector = vectors[i];
    return {
      id: chunkDocumentId(fileId, chunk.index),
      ownerId,
      kind: DOC_KINDS.file,
      text: { content: chunk.text },
      keywords: { fileId, embeddingModel: model },
      ...(vector ? { vector } : {}),
      createdAt: new Date(event.occurredAt),
    };
  });
  if (docs.length > 0) await index.upsert(docs);
}
