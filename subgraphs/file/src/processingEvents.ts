import { DependencyUnavailableError, type Logger } from '@chatgraph/kit';
import type { BlobStore } from '@chatgraph/kit/blob';
import { notDeleted, updateWithOutbox, type EventBus, type EventDelivery, type Subscription } from '@chatgraph/kit/events';
import { fileFileV1 } from '@chatgraph/schema';
import { fileFailed, fileProcessed } from './events';
import { ProcessingError, type FileProcessor, type ProcessedFile } from './processing/types';
import { blobKeys, type FileCollections, type FileDoc } from './store';

/** The consumer group that processes uploaded files. */
export const PROCESSING_GROUP = 'file.processing';
/** Characters of extracted text shown as `File.textPreview`. */
export const TEXT_PREVIEW_CHARS = 500;

export interface ProcessingDeps {
  collections: FileCollections;
  blobs: BlobStore;
  processor: FileProcessor;
  logger: Logger;
  now: () => Date;
  eventsQueued: () => void;
}

/**
 * On `file.uploaded`: reads the stored bytes (bounded by FILE_MAX_BYTES), has the processor
 * extract them, keeps the text and thumbnail as blobs, and moves the file PROCESSING -> READY with
 * `file.processed` and its `file.chunked` batches in one write, or -> FAILED with `file.failed`.
 * Idempotent: a redelivered event finds the file no longer PROCESSING and does nothing; a file
 * deleted meanwhile keeps nothing of what processing wrote. An unreachable store is retried by the bus.
 */
export function processingHandler(deps: ProcessingDeps) {
  const { collections, blobs, logger } = deps;
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== fileFileV1.topic || delivery.event.type !== 'file.uploaded') return;
    const event = fileFileV1.validate(delivery.event);
    const doc = await collections.files.findOne({ _id: event.subject.fileId, ...notDeleted });
    if (!doc || doc.status !== 'PROCESSING') return;
    const blob = await blobs.get(blobKeys.original(doc._id));
    if (!blob) return finish(deps, doc, { failed: new ProcessingError('INTERNAL', 'The stored bytes are missing') });
    const chunks: Buffer[] = [];
    for await (const chunk of blob.stream) chunks.push(chunk as Buffer);
    let result: ProcessedFile;
    try {
      result = await deps.processor.process({
        fileId: doc._id,
        filename: doc.filename,
        mimeType: doc.mimeType,
        bytes: Buffer.concat(chunks),
      });
    } catch (error) {
      if (error instanceof DependencyUnavailableError) throw error;
      const failed = error instanceof ProcessingError ? error : new ProcessingError('INTERNAL', 'The file could not be processed');
      if (!(error instanceof ProcessingError)) logger.error({ err: error, fileId: doc._id }, 'processing failed unexpectedly');
      return finish(deps, doc, { failed });
    }
    return finish(deps, doc, { result });
  };
}

async function finish(deps: ProcessingDeps, doc: FileDoc, outcome: { result?: ProcessedFile; failed?: ProcessingError }): Promise<void> {
  const { collections, blobs } = deps;
  const filter = { _id: doc._id, status: 'PROCESSING', ...notDeleted };
  if (outcome.failed) {
    const { code, message } = outcome.failed;
    const result = await collections.files.updateOne(
      filter,
      updateWithOutbox({ $set: { status: 'FAILED', failureReason: message.slice(0, 500), updatedAt: deps.now() } }, [
        fileFailed(doc, code, message),
      ]),
    );
    if (result.matchedCount > 0) deps.eventsQueued();
    return;
  }
  const processed = outcome.result;
  if (!processed) return;
  const derived: string[] = [];
  if (processed.text.length > 0) {
    await blobs.put(blobKeys.text(doc._id), Buffer.from(processed.text, 'utf8'), { contentType: 'text/plain; charset=utf-8' });
    derived.push(blobKeys.text(doc._id));
  }
  if (processed.image) {
    await blobs.put(blobKeys.thumbnail(doc._id), processed.image.thumbnail, { contentType: 'image/webp' });
    derived.push(blobKeys.thumbnail(doc._id));
  }
  const preview = processed.text.length > 0 ? processed.text.slice(0, TEXT_PREVIEW_CHARS) : null;
  const result = await collections.files.updateOne(
    filter,
    updateWithOutbox({ $set: { status: 'READY', textPreview: preview, derived, updatedAt: deps.now() } }, fileProcessed(doc, processed)),
  );
  if (result.matchedCount === 0) {
    // Deleted while being processed: what processing wrote goes too.
    for (const key of derived) await blobs.delete(key);
    return;
  }
  deps.eventsQueued();
}

/** Subscribes the processing consumer; `stop()` the subscription to drain it. */
export function subscribeProcessing(
  bus: EventBus,
  handler: ReturnType<typeof processingHandler>,
  concurrency: number,
): Promise<Subscription> {
  return bus.subscribe({ groupId: PROCESSING_GROUP, topics: [fileFileV1.topic], handler, maxInFlightPerPartition: concurrency });
}
