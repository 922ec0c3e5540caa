import { defineTopic, type EventsOf } from '../contract';
import { idString } from '../envelope';
import { z } from 'zod';
import { bounded, count, text } from '../validation';

/**
 * `file.file.v1`: the life of an uploaded file, produced by the file subgraph through its outbox
 * and keyed by `fileId`, so one file's events stay in order. Consumers keep read models from it:
 * conversation (which files a message may attach), ai-gateway (what the model is shown of an
 * attached file), search (the chunks it indexes). The bytes never travel here: only facts, the
 * extracted text a model may read, and a small image prepared for vision models.
 *
 * Lifecycle: `file.uploaded` (bytes stored and sniffed; now PROCESSING), then `file.processed`
 * (READY) followed by zero or more `file.chunked`, or `file.failed` (FAILED); `file.deleted` at any
 * point after upload is a tombstone: forget the file and everything derived from it.
 */

const subject = z.object({ fileId: idString, ownerId: idString });

/** What an upload is for; limits and processing depend on it. */
export const FILE_PURPOSES = ['MESSAGE_ATTACHMENT', 'ASSISTANT_KNOWLEDGE', 'AVATAR'] as const;

/** Most characters of extracted text an event carries for a model (the rest is in the chunks). */
export const FILE_TEXT_FOR_MODEL_MAX = 100_000;
/** Most characters of a vision image (a `data:image/jpeg;base64,...` URL) an event carries. */
export const FILE_VISION_IMAGE_MAX = 400_000;
/** Most chunks one `file.chunked` event carries. */
export const FILE_CHUNKS_PER_EVENT = 100;

const chunk = z.object({
  /** 0-based position of the chunk in the file. */
  index: count(),
  text: text(8_000),
  /** Tokens in `text` (the chunker's tokenizer). */
  tokens: count(1),
  /** 1-based page the chunk starts on, for paged documents (PDF). */
  page: count(1).optional(),
});

const events = {
  /** The bytes are stored (sha256 checked while streaming) and their type sniffed; processing starts. */
  'file.uploaded': {
    subject,
    payload: z.object({
      filename: text(255),
      /** The sniffed type (never the client's claim when the bytes say otherwise). */
      mimeType: text(200),
      bytes: count(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      purpose: z.enum(FILE_PURPOSES),
    }),
  },
  /** Processing succeeded: the file is READY. */
  'file.processed': {
    subject,
    payload: z.object({
      filename: text(255),
      mimeType: text(200),
      bytes: count(),
      purpose: z.enum(FILE_PURPOSES),
      /** Extracted text for a model, at most FILE_TEXT_FOR_MODEL_MAX characters (empty for images). */
      text: bounded(0, FILE_TEXT_FOR_MODEL_MAX),
      /** Whether `text` was cut to fit; the whole text is in the chunks. */
      textTruncated: z.boolean(),
      /** Pages of a paged document. */
      pages: count(1).optional(),
      /** For images: dimensions, and a JPEG resized for vision models as a data URL. */
      image: z.object({ width: count(1), height: count(1), visionDataUrl: bounded(0, FILE_VISION_IMAGE_MAX).optional() }).optional(),
      /** How many chunks the `file.chunked` events that follow carry in all. */
      chunkCount: count(),
    }),
  },
  /** A batch of the file's retrieval chunks (token-aware, overlapping), in order. */
  'file.chunked': {
    subject,
    payload: z.object({
      filename: text(255),
      chunks: z.array(chunk).min(1).max(FILE_CHUNKS_PER_EVENT),
      /** Chunks of the file in all (the last batch ends at index chunkCount - 1). */
      chunkCount: count(1),
    }),
  },
  /** Processing failed for good: the file is FAILED with `reason` (shown to its owner). */
  'file.failed': {
    subject,
    payload: z.object({
      /** UNSUPPORTED_TYPE, CORRUPT, TOO_LARGE, TIMEOUT, OUT_OF_MEMORY or INTERNAL. */
      code: text(50),
      reason: text(500),
    }),
  },
  /** The owner deleted the file (or the owner was deleted): forget it and all derived from it. */
  'file.deleted': {
    subject,
    payload: z.object({}),
  },
};

/** The `file.file.v1` contract. */
export const fileFileV1 = defineTopic({ topic: 'file.file.v1', keyedBy: 'fileId', events });

/** Any event of `file.file.v1`, discriminated by `type`. */
export type FileEvent = EventsOf<typeof events>;
/** One retrieval chunk of a file. */
export type FileChunk = z.infer<typeof chunk>;
/** What an upload is for. */
export type FilePurpose = (typeof FILE_PURPOSES)[number];
