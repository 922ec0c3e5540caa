/**
 * PLACEHOLDER (file-core branch): the processing step's real implementation (extractors, worker
 * sandbox, images, token-aware chunking) replaces this file at merge. Until then: plain text only
 * (UTF-8 as it is, one chunk per about 2,000 characters); every other type fails UNSUPPORTED_TYPE.
 */
import { ProcessingError, type FileProcessor, type FileProcessorOptions, type ProcessedChunk } from './types';

const CHUNK_CHARS = 2000;

/** Creates the file processor. */
export function createFileProcessor(options: FileProcessorOptions): FileProcessor {
  return {
    async process(input) {
      if (!input.mimeType.startsWith('text/') && input.mimeType !== 'application/json')
        throw new ProcessingError('UNSUPPORTED_TYPE', `${input.mimeType} cannot be processed yet`);
      const text = input.bytes.toString('utf8');
      if (text.length > options.maxTextChars) throw new ProcessingError('TOO_LARGE', 'The file has too much text');
      const chunks: ProcessedChunk[] = [];
      for (let start = 0; start < text.length; start += CHUNK_CHARS) {
        const piece = text.slice(start, start + CHUNK_CHARS);
        chunks.push({ index: chunks.length, text: piece, tokens: Math.max(1, Math.ceil(piece.length / 4)) });
      }
      return { text, chunks };
    },
    async stop() {},
  };
}
