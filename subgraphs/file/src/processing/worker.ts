import { processDocument, type DocumentJob } from './document';
import { toProcessingError } from './failure';
import { watchForOrphaning } from './orphanWatchdog';
import { tokenizer } from './tokenizer';
import type { FileProcessorOptions, ProcessedFile, ProcessingFailureCode } from './types';

/**
 * The sandbox worker's entry (a child process, see sandbox.ts): it processes one document a
 * message, for as long as the pool keeps it (the pool kills it on a timeout; V8 aborts it past its
 * heap limit). Loaded as TypeScript through tsx.
 */

/** A request to the worker. */
export interface WorkerRequest {
  job: DocumentJob;
  options: FileProcessorOptions;
}

/** The worker's answer to one request. */
export type WorkerReply = { ok: true; file: ProcessedFile } | { ok: false; code: ProcessingFailureCode; message: string };

/** What the worker says once it is ready for documents. */
export interface WorkerReady {
  ready: true;
}

const send = process.send?.bind(process);
if (send) {
  process.on('message', (request: WorkerRequest) => {
    processDocument(request.job, request.options).then(
      (file) => send({ ok: true, file } satisfies WorkerReply),
      (error: unknown) => {
        const failure = toProcessingError(error);
        send({ ok: false, code: failure.code, message: failure.message } satisfies WorkerReply);
      },
    );
  });
  // The pool is gone (its process ended): nothing more will come.
  process.on('disconnect', () => process.exit(0));
  watchForOrphaning();
  // Every document is chunked: the tokenizer (~0.4 s to build) is loaded before the first one,
  // so a file's time budget pays for its own work, not for the worker's start.
  tokenizer();
  send({ ready: true } satisfies WorkerReady);
}
