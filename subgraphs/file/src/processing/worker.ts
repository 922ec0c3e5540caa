import { parentPort } from 'node:worker_threads';
import { processDocument, type DocumentJob } from './document';
import { toProcessingError } from './failure';
import type { FileProcessorOptions, ProcessedFile, ProcessingFailureCode } from './types';

/**
 * The sandbox worker's entry: it processes one document a message, for as long as the pool keeps
 * it (the pool kills it on a timeout; V8 kills it past its heap limit). Loaded as TypeScript
 * through tsx (see sandbox.ts).
 */

/** A request to the worker. */
export interface WorkerRequest {
  job: DocumentJob;
  options: FileProcessorOptions;
}

/** The worker's answer to one request. */
export type WorkerReply = { ok: true; file: ProcessedFile } | { ok: false; code: ProcessingFailureCode; message: string };

const port = parentPort;
if (port) {
  port.on('message', (request: WorkerRequest) => {
    processDocument(request.job, request.options).then(
      (file) => port.postMessage({ ok: true, file } satisfies WorkerReply),
      (error: unknown) => {
        const failure = toProcessingError(error);
        port.postMessage({ ok: false, code: failure.code, message: failure.message } satisfies WorkerReply);
      },
    );
  });
}
