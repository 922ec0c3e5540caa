/**
 * What the file subgraph's processing step promises the rest of the service: given a stored
 * file's bytes and its sniffed type, the text a model and search may read, retrieval chunks, and
 * for images their dimensions, a thumbnail and a copy sized for vision models. Processing runs with
 * a time and memory budget; a file that exceeds it, or that no extractor understands, ends in a
 * `ProcessingError` with a code, never in a crash of the service.
 */

/** One stored file to process. */
export interface ProcessInput {
  fileId: string;
  filename: string;
  /** The type sniffed from the bytes at upload (never the client's claim alone). */
  mimeType: string;
  bytes: Buffer;
}

/** A retrieval chunk: token-aware, overlapping with its neighbours. */
export interface ProcessedChunk {
  /** 0-based position in the file. */
  index: number;
  text: string;
  /** Tokens in `text`, counted with the chunker's tokenizer. */
  tokens: number;
  /** 1-based page the chunk starts on, for paged documents. */
  page?: number;
}

/** What processing produced. */
export interface ProcessedFile {
  /** All extracted text (empty for an image). */
  text: string;
  /** Pages of a paged document (PDF). */
  pages?: number;
  /** For images. */
  image?: {
    width: number;
    height: number;
    /** A small preview (WebP, longest side at most 256 px). */
    thumbnail: Buffer;
    /** A JPEG for vision models (longest side at most 1024 px, small enough for a data URL in an event). */
    vision: Buffer;
  };
  chunks: ProcessedChunk[];
}

/** Why processing failed; shown to the file's owner with a reason. */
export type ProcessingFailureCode = 'UNSUPPORTED_TYPE' | 'CORRUPT' | 'TOO_LARGE' | 'TIMEOUT' | 'OUT_OF_MEMORY' | 'INTERNAL';

/** Processing failed for good (retrying the same bytes gives the same answer). */
export class ProcessingError extends Error {
  override readonly name = 'ProcessingError';
  constructor(
    readonly code: ProcessingFailureCode,
    message: string,
  ) {
    super(message);
  }
}

export interface FileProcessorOptions {
  /** Wall-clock budget per file; past it the work is killed and the file fails with TIMEOUT. */
  timeoutMs: number;
  /** Heap budget of the worker that processes a file, in MB; past it: OUT_OF_MEMORY. */
  maxMemoryMb: number;
  /** Most characters of text kept from one file; past it: TOO_LARGE. */
  maxTextChars: number;
  /** Target tokens per chunk, and the overlap between neighbours. */
  chunkTokens: number;
  chunkOverlapTokens: number;
  /** Files processed at once (each in its own worker). */
  concurrency: number;
}

/** Processes files; `stop()` ends its workers (work in progress is abandoned and fails). */
export interface FileProcessor {
  process(input: ProcessInput): Promise<ProcessedFile>;
  stop(): Promise<void>;
}
