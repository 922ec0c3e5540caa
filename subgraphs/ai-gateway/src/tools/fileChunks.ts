import { Schema } from 'mongoose';
import type { Logger } from '@chatgraph/kit';
import type { Collection, CollectionSpec, DocumentStore, StoredDocument } from '@chatgraph/kit/store';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import type { SearchDocument, SearchHit, SearchIndex, SearchIndexDefinition } from '@chatgraph/kit/search';
import { fileFileV1, type FileEvent } from '@chatgraph/schema';

/**
 * ai-gateway's read model of file chunks for `file_search`, fed by `file.file.v1` (never by a call
 * to the file or search services): every `file.chunked` batch is indexed (one search document per
 * chunk, owned by the file's owner, so every search is confined to one owner by the port itself),
 * and `file.deleted` removes the file's chunks and leaves a tombstone so a redelivered batch never
 * brings them back. How stale it may be: a file's chunks are searchable once this consumer has
 * indexed its `file.chunked` events (usually well under a second after processing; its lag is
 * `event_consumer_lag{group="ai-gateway.file-chunks"}`).
 */

/** The consumer group that keeps the index. */
export const FILE_CHUNKS_GROUP = 'ai-gateway.file-chunks';

/** Kind of the index's documents. */
const CHUNK_KIND = 'file-chunk';

/** The index definition (keyword search over chunk text; the file, its name and the position ride as keywords). */
export function fileChunkIndexDefinition(name: string): SearchIndexDefinition {
  return { name, textFields: { text: 1 }, keywordFields: ['fileId', 'filename', 'chunkIndex', 'page'] };
}

/** A deleted file (`_id` = file id): its later chunk batches are ignored. */
interface ChunkTombstoneDoc extends StoredDocument {
  ownerId: string;
  deletedAt: Date;
}

const tombstoneSchema = new Schema<ChunkTombstoneDoc>(
  { _id: { type: String }, ownerId: { type: String, required: true }, deletedAt: { type: Date, required: true } },
  { versionKey: false },
);

/** The tombstones' collection. */
export const chunkTombstonesSpec: CollectionSpec<ChunkTombstoneDoc> = { name: 'file_chunk_tombstones', schema: tombstoneSchema };

/** One chunk found by a search. */
export interface FoundChunk {
  fileId: string;
  filename: string;
  chunkIndex: number;
  page: number | null;
  text: string;
  score: number;
}

function foundOf(hit: SearchHit): FoundChunk {
  const k = hit.doc.keywords ?? {};
  const one = (v: string | string[] | undefined): string => (Array.isArray(v) ? (v[0] ?? '') : (v ?? ''));
  return {
    fileId: one(k.fileId),
    filename: one(k.filename),
    chunkIndex: Number(one(k.chunkIndex)),
    page: k.page === undefined ? null : Number(one(k.page)),
    text: hit.doc.text.text ?? '',
    score: hit.score,
  };
}

/** The chunk index and the searches `file_search` runs on it. */
export class FileChunks {
  private readonly tombstones: Collection<ChunkTombstoneDoc>;

  constructor(
    private readonly index: SearchIndex,
    store: DocumentStore,
  ) {
    this.tombstones = store.collection(chunkTombstonesSpec);
  }

  /** Applies an event; resolves whether it changed the index. Idempotent (chunk ids are `<fileId>:<index>`). */
  async apply(event: FileEvent): Promise<boolean> {
    const { fileId, ownerId } = event.subject;
    if (event.type === 'file.deleted') {
      await this.tombstones.updateOne({ _id: fileId }, { $set: { ownerId, deletedAt: new Date(event.occurredAt) } }, { upsert: true });
      await this.index.deleteMatching(ownerId, { fileId });
      return true;
    }
    if (event.type !== 'file.chunked') return false;
    if (await this.tombstones.findById(fileId)) return false;
    const createdAt = new Date(event.occurredAt);
    const docs: SearchDocument[] = event.payload.chunks.map((chunk) => ({
      id: `${fileId}:${chunk.index}`,
      ownerId,
      kind: CHUNK_KIND,
      text: { text: chunk.text },
      keywords: {
        fileId,
        filename: event.payload.filename,
        chunkIndex: String(chunk.index),
        ...(chunk.page !== undefined ? { page: String(chunk.page) } : {}),
      },
      createdAt,
    }));
    await this.index.upsert(docs);
    return true;
  }

  /** The best chunks of `ownerId`'s files among `fileIds` for `query` (keyword relevance). */
  async search(ownerId: string, fileIds: readonly string[], query: string, size: number): Promise<FoundChunk[]> {
    if (fileIds.length === 0) return [];
    const result = await this.index.search({
      ownerId,
      text: query,
      mode: 'keyword',
      filters: { kinds: [CHUNK_KIND], keywords: { fileId: [...fileIds] } },
      size,
    });
    return result.hits.map(foundOf);
  }
}

/** The `file.file.v1` consumer that keeps the chunk index. */
export function fileChunksHandler(chunks: FileChunks, logger: Logger) {
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== fileFileV1.topic) return;
    // Only chunks and deletes matter here: the rest is skipped before validation.
    if (delivery.event.type !== 'file.chunked' && delivery.event.type !== 'file.deleted') return;
    const event = fileFileV1.validate(delivery.event);
    const applied = await chunks.apply(event);
    logger.debug({ fileId: event.subject.fileId, type: event.type, applied }, 'file chunk index updated');
  };
}

/** Subscribes the chunk consumer; `stop()` the subscription to drain it. */
export function subscribeFileChunks(bus: EventBus, handler: ReturnType<typeof fileChunksHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: FILE_CHUNKS_GROUP, topics: [fileFileV1.topic], handler });
}
