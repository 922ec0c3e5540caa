import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ProcessingError, type ProcessedFile, type ProcessingFailureCode } from './types';
import type { WorkerReply, WorkerRequest } from './worker';

/** Observes the sandbox's threads (tests count them; a service could export them as a gauge). */
export interface WorkerObserver {
  workerStarted?(): void;
  workerExited?(): void;
}

const WORKER_ENTRY = path.join(__dirname, 'worker.ts');

/**
 * The worker's entry is TypeScript. Under tsx (`node --import tsx` in production, the `tsx` CLI
 * in scripts) a worker inherits the loader through `execArgv`; elsewhere (jest, whose transform
 * applies to its own module registry only) the same tsx loader the service runs with is added.
 */
function workerExecArgv(): string[] {
  if (process.execArgv.some((arg) => arg.includes('tsx'))) return process.execArgv;
  return [...process.execArgv, '--import', pathToFileURL(require.resolve('tsx')).href];
}

/**
 * One sandbox thread: a worker with a V8 heap budget, processing one document at a time. A run
 * past its wall-clock budget terminates the thread (TIMEOUT); V8 ends a thread past its heap limit
 * (OUT_OF_MEMORY). Either way only this thread dies; its run settles once it is gone, so a caller
 * that frees a slot on settling never has more live threads than slots.
 */
export class SandboxWorker {
  private readonly worker: Worker;
  private current: { resolve: (file: ProcessedFile) => void; reject: (error: ProcessingError) => void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Why the thread is ending, when the pool or V8 ended it. */
  private ending: ProcessingError | undefined;
  private exited = false;
  /** Documents this thread has processed. */
  runs = 0;

  constructor(maxMemoryMb: number, observer: WorkerObserver) {
    this.worker = new Worker(WORKER_ENTRY, {
      execArgv: workerExecArgv(),
      resourceLimits: {
        maxOldGenerationSizeMb: maxMemoryMb,
        maxYoungGenerationSizeMb: Math.max(4, Math.min(32, Math.floor(maxMemoryMb / 8))),
        stackSizeMb: 4,
      },
    });
    observer.workerStarted?.();
    // An idle thread must not keep the process alive; a run's timer does while it lasts.
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => {
      const current = this.settle();
      if (!current) return;
      if (reply.ok) current.resolve(reply.file);
      else current.reject(new ProcessingError(reply.code, reply.message));
    });
    this.worker.on('error', (error: Error & { code?: string }) => {
      this.ending ??=
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new ProcessingError('OUT_OF_MEMORY', `processing the file needed more than ${maxMemoryMb} MB`)
          : new ProcessingError('INTERNAL', `the processing worker failed: ${error.message.slice(0, 300)}`);
    });
    this.worker.on('exit', () => {
      this.exited = true;
      observer.workerExited?.();
      this.settle()?.reject(this.ending ?? new ProcessingError('INTERNAL', 'the processing worker exited'));
    });
  }

  /** Whether the thread can take another document. */
  get usable(): boolean {
    return !this.exited && this.ending === undefined && this.current === undefined;
  }

  /** Processes one document within `timeoutMs`; rejects with a ProcessingError. */
  run(request: WorkerRequest, timeoutMs: number): Promise<ProcessedFile> {
    if (!this.usable) return Promise.reject(new ProcessingError('INTERNAL', 'the processing worker is not available'));
    this.runs += 1;
    return new Promise((resolve, reject) => {
      this.current = { resolve, reject };
      this.timer = setTimeout(() => this.end('TIMEOUT', `processing the file took more than ${timeoutMs} ms`), timeoutMs);
      // The bytes are copied, not transferred: the caller's buffer stays usable.
      this.worker.postMessage(request);
    });
  }

  /** Ends the thread; a run in progress fails with `code`. Resolves once the thread is gone. */
  async end(code: ProcessingFailureCode = 'INTERNAL', message = 'the file processor stopped'): Promise<void> {
    this.ending ??= new ProcessingError(code, message);
    if (!this.exited) await this.worker.terminate();
  }

  private settle(): typeof this.current {
    const current = this.current;
    this.current = undefined;
    clearTimeout(this.timer);
    return current;
  }
}
