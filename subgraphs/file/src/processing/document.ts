import { chunkText } from './chunker';
import { extractDocument } from './extractors';
import type { FileProcessorOptions, ProcessedFile } from './types';

/** What processing a document needs of a file (the worker receives exactly this). */
export interface DocumentJob {
  mimeType: string;
  bytes: Uint8Array;
}

/**
 * The most bytes a DOCX's parts may inflate to: the worker's heap budget. XML larger than the heap
 * could never be parsed into it anyway, and refusing it before inflating keeps a zip bomb cheap.
 */
export function inflateBudget(options: Pick<FileProcessorOptions, 'maxMemoryMb'>): number {
  return Math.floor(options.maxMemoryMb * 1024 * 1024);
}

/**
 * Extracts a document's text and cuts it into chunks: the work a sandbox worker does for one
 * file. Throws what the extractors throw (a ProcessingError or a library's error).
 */
export async function processDocument(job: DocumentJob, options: FileProcessorOptions): Promise<ProcessedFile> {
  const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
  const extracted = await extractDocument(job.mimeType, bytes, {
    maxTextChars: options.maxTextChars,
    maxInflatedBytes: inflateBudget(options),
  });
  const chunks = chunkText(extracted.text, options, extracted.pageStarts).map(({ index, text, tokens, page }) =>
    page === undefined ? { index, text, tokens } : { index, text, tokens, page },
  );
  const file: ProcessedFile = { text: extracted.text, chunks };
  if (extracted.pages !== undefined) file.pages = extracted.pages;
  return file;
}
