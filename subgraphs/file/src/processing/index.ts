import { toProcessingError } from './failure';
import { processImage } from './image';
import { baseMimeType, DOCUMENT_MIME_TYPES, IMAGE_MIME_TYPES } from './mimeTypes';
import { SandboxWorker, type WorkerObserver } from './sandbox';
import { Slots } from './slots';
import { ProcessingError, type FileProcessor, type FileProcessorOptions, type ProcessedFile, type ProcessInput } from './types';

export * from './types';
export { MAX_IMAGE_PIXELS, THUMBNAIL_SIDE, VISION_SIDE, visionDataUrl, visionDataUrlLength } from './image';
export { DOCUMENT_MIME_TYPES, DOCX_MIME_TYPE, IMAGE_MIME_TYPES, PPTX_MIME_TYPE, XLSX_MIME_TYPE } from './mimeTypes';
export { TOKENIZER_ENCODING } from './tokenizer';
export type { WorkerObserver } from './sandbox';

/** A thread is replaced after this many documents, so no heap fragmentation or leak outlives it. */
const RUNS_PER_WORKER = 100;

function assertOptions(options: FileProcessorOptions): void {
  for (const key of ['timeoutMs', 'maxMemoryMb', 'maxTextChars', 'chunkTokens', 'concurrency'] as const) {
    if (!Number.isFinite(options[key]) || options[key] < 1)
      throw new Error(`file processor: ${key} must be at least 1 (got ${options[key]})`);
  }
  if (!(options.chunkOverlapTokens >= 0 && options.chunkOverlapTokens < options.chunkTokens)) {
    throw new Error('file processor: chunkOverlapTokens must be at least 0 and less than chunkTokens');
  }
}

/**
 * The file processing step. Documents (text, Markdown, JSON, CSV, HTML, PDF, DOCX) are extracted
 * and chunked in sandbox threads (worker_threads with a heap limit and a wall-clock budget) that
 * are reused between files and replaced when one dies; images are processed with sharp (see
 * image.ts). At most `concurrency` files are processed at once and at most that many threads
 * live; the rest wait in arrival order. A file that breaks a budget fails with its code; the
 * process and the other files carry on. `observer` sees threads start and end.
 */
export function createFileProcessor(options: FileProcessorOptions, observer: WorkerObserver = {}): FileProcessor {
  assertOptions(options);
  const slots = new Slots(options.concurrency);
  const idle: SandboxWorker[] = [];
  const live = new Set<SandboxWorker>();
  let stopped = false;

  async function processInSandbox(input: ProcessInput): Promise<ProcessedFile> {
    let worker = idle.pop();
    if (!worker) {
      worker = new SandboxWorker(options.maxMemoryMb, observer);
      live.add(worker);
    }
    try {
      return await worker.run({ job: { mimeType: input.mimeType, bytes: input.bytes }, options }, options.timeoutMs);
    } finally {
      if (!stopped && worker.usable && worker.runs < RUNS_PER_WORKER) {
        idle.push(worker);
      } else {
        live.delete(worker);
        await worker.end();
      }
    }
  }

  async function processImageWithin(input: ProcessInput): Promise<{ result: Promise<ProcessedFile>; done: Promise<unknown> }> {
    // sharp's own timeout stops libvips; this deadline answers the caller on time regardless, while
    // the slot stays taken until sharp has really finished (done).
    const work = processImage(input.bytes, options.timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new ProcessingError('TIMEOUT', `processing the image took more than ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
    });
    const result = Promise.race([work, deadline]).finally(() => clearTimeout(timer));
    return { result, done: work.catch(() => undefined) };
  }

  return {
    async process(input: ProcessInput): Promise<ProcessedFile> {
      if (stopped) throw new ProcessingError('INTERNAL', 'the file processor stopped');
      const mimeType = baseMimeType(input.mimeType);
      const isImage = IMAGE_MIME_TYPES.includes(mimeType);
      if (!isImage && !DOCUMENT_MIME_TYPES.includes(mimeType)) {
        throw new ProcessingError('UNSUPPORTED_TYPE', `files of type ${mimeType || '(none)'} are not supported`);
      }
      const release = await slots.acquire();
      if (stopped) {
        // stop() ran while this file waited for its slot (or for the microtask that grants it).
        release();
        throw new ProcessingError('INTERNAL', 'the file processor stopped');
      }
      if (!isImage) {
        try {
          return await processInSandbox(input);
        } finally {
          release();
        }
      }
      const { result, done } = await processImageWithin(input);
      void done.finally(release);
      return result;
    },
    async stop(): Promise<void> {
      stopped = true;
      slots.refuseWaiting();
      idle.length = 0;
      await Promise.all([...live].map((worker) => worker.end()));
      live.clear();
    },
  };
}

/**
 * Processes a document on the calling thread, without a sandbox: no heap limit and no timeout.
 * For measuring what the sandbox costs (bench/file-extraction.ts) and for trusted input only.
 */
export async function processDocumentInThread(input: ProcessInput, options: FileProcessorOptions): Promise<ProcessedFile> {
  try {
    // Loaded on demand: the extractors and the tokenizer otherwise stay out of the main thread.
    const { processDocument } = await import('./document');
    return await processDocument({ mimeType: input.mimeType, bytes: input.bytes }, options);
  } catch (error) {
    throw toProcessingError(error);
  }
}
