import { outboxEvent, type OutboxEvent } from '@chatgraph/kit/events';
import { FILE_CHUNKS_PER_EVENT, FILE_TEXT_FOR_MODEL_MAX, FILE_VISION_IMAGE_MAX, fileFileV1, type FileChunk } from '@chatgraph/schema';
import type { ProcessedFile } from './processing/types';
import type { FileDoc } from './store';

/** The file.file.v1 events file writes through its outbox, keyed by file id. */

const subjectOf = (doc: FileDoc) => ({ fileId: doc._id, ownerId: doc.ownerId });
const entry = (doc: FileDoc, event: Parameters<typeof outboxEvent>[2]): OutboxEvent => outboxEvent(fileFileV1.topic, doc._id, event);

/** The bytes are stored: processing starts. */
export function fileUploaded(doc: FileDoc, stored: { mimeType: string; bytes: number; sha256: string }): OutboxEvent {
  return entry(
    doc,
    fileFileV1.create('file.uploaded', subjectOf(doc), {
      filename: doc.filename,
      mimeType: stored.mimeType,
      bytes: stored.bytes,
      sha256: stored.sha256,
      purpose: doc.purpose,
    }),
  );
}

/** `file.processed` then the `file.chunked` batches: what a model and search may read of the file. */
export function fileProcessed(doc: FileDoc, result: ProcessedFile): OutboxEvent[] {
  const visionDataUrl = result.image ? `data:image/jpeg;base64,${result.image.vision.toString('base64')}` : undefined;
  const processed = fileFileV1.create('file.processed', subjectOf(doc), {
    filename: doc.filename,
    mimeType: doc.mimeType,
    bytes: doc.bytes,
    purpose: doc.purpose,
    text: result.text.slice(0, FILE_TEXT_FOR_MODEL_MAX),
    textTruncated: result.text.length > FILE_TEXT_FOR_MODEL_MAX,
    ...(result.pages ? { pages: result.pages } : {}),
    ...(result.image
      ? {
          image: {
            width: result.image.width,
            height: result.image.height,
            // Too large for an event: the model does without the picture rather than the event failing.
            ...(visionDataUrl && visionDataUrl.length <= FILE_VISION_IMAGE_MAX ? { visionDataUrl } : {}),
          },
        }
      : {}),
    chunkCount: result.chunks.length,
  });
  const batches: OutboxEvent[] = [];
  for (let start = 0; start < result.chunks.length; start += FILE_CHUNKS_PER_EVENT) {
    const chunks: FileChunk[] = result.chunks.slice(start, start + FILE_CHUNKS_PER_EVENT).map((c) => ({
      index: c.index,
      text: c.text,
      tokens: c.tokens,
      ...(c.page ? { page: c.page } : {}),
    }));
    batches.push(
      entry(doc, fileFileV1.create('file.chunked', subjectOf(doc), { filename: doc.filename, chunks, chunkCount: result.chunks.length })),
    );
  }
  return [entry(doc, processed), ...batches];
}

/** Processing failed for good. */
export function fileFailed(doc: FileDoc, code: string, reason: string): OutboxEvent {
  return entry(doc, fileFileV1.create('file.failed', subjectOf(doc), { code, reason: reason.slice(0, 500) }));
}

/** The file is gone: forget it and all derived from it. */
export function fileDeleted(doc: FileDoc): OutboxEvent {
  return entry(doc, fileFileV1.create('file.deleted', subjectOf(doc), {}));
}
