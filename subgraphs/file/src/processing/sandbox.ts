import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProcessingError, type ProcessedFile, type ProcessingFailureCode } from './types';
import type { WorkerReady, WorkerReply, WorkerRequest } from './worker';

/** Observes the sandbox's workers (tests count them; a service could export them as a gauge). */
export interface WorkerObserver {
  workerStarted?(): void;
  workerExited?(): void;
}

const WORKER_ENTRY = path.join(__dirname, 'worker.ts');
/** How long a worker may take to start (load tsx and the tokenizer) on a busy machine. */
const STARTUP_TIMEOUT_MS = 60_000;
/** The end of a worker's stderr kept to tell an out-of-memory death from another crash. */
const STDERR_TAIL = 4096;

/**
 * The worker's entry is TypeScript. Under tsx (`node --import tsx` in production, the `tsx` CLI
 * in scripts) the worker takes the same loader flags; elsewhere (jest, whose transform applies to
 * its own module registry only) the tsx loader the service runs with is named explicitly.
 */
function loaderArgs(): string[] {
  const tsx = process.execArgv.filter((arg, index, all) => arg.includes('tsx') || all[index + 1]?.includes('tsx'));
  return tsx.length > 0 ? tsx : ['--import', pathToFileURL(require.resolve('tsx')).href];
}

/**
 * One sandbox worker: a child process with a V8 heap budget (`--max-old-space-size`), processing
 * one document at a time. A child process, not a worker thread: a worker thread past its
 * `resourceLimits` usually ends alone, but one large growing allocation (a single huge array, as
 * a crafted JSON or PDF can ask for) aborts the whole process instead (nodejs/node#47224); a child
 * past its heap aborts only itself. And SIGKILL ends it at once, even in the middle of the GC
 * thrashing a near-full heap causes, when a thread's terminate() waits for V8 to notice.
 * A run past its wall-clock budget is killed (TIMEOUT); a child killed by V8's heap limit is
 * OUT_OF_MEMORY. A run settles only once its child is gone, so a caller that frees a slot on
 * settling never has more live workers than slots.
 */
export class SandboxWorker {
  private readonly child: ChildProcess;
  private current: { resolve: (file: ProcessedFile) => void; reject: (error: ProcessingError) => void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Why the worker is ending, when the pool ended it. */
  private ending: ProcessingError | undefined;
  private exited = false;
  private readonly gone: Promise<void>;
  private readonly ready: Promise<void>;
  private startupTimer: NodeJS.Timeout | undefined;
  private stderrTail = '';
  /** Documents this worker has processed. */
  runs = 0;

  constructor(maxMemoryMb: number, observer: WorkerObserver) {
    const semiSpaceMb = Math.max(1, Math.min(16, Math.floor(maxMemoryMb / 16)));
    this.child = fork(WORKER_ENTRY, [], {
      execArgv: [...loaderArgs(), `--max-old-space-size=${maxMemoryMb}`, `--max-semi-space-size=${semiSpaceMb}`],
      // Structured clone over IPC: Buffers travel as bytes, not as JSON arrays of numbers.
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    observer.workerStarted?.();
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL);
    });
    // An idle worker must not keep the process alive; a run's timer does while it lasts.
    this.unref();
    let markReady = (): void => undefined;
    this.ready = new Promise((resolve) => {
      markReady = resolve;
    });
    this.startupTimer = setTimeout(
      () => void this.end('INTERNAL', `the processing worker did not start within ${STARTUP_TIMEOUT_MS} ms`),
      STARTUP_TIMEOUT_MS,
    );
    this.child.on('message', (reply: WorkerReply | WorkerReady) => {
      if ('ready' in reply) {
        clearTimeout(this.startupTimer);
        markReady();
        return;
      }
      const current = this.settle();
      if (!current) return;
      if (reply.ok) current.resolve(reply.file);
      else current.reject(new ProcessingError(reply.code, reply.message));
    });
    // A failed spawn emits 'error' then, maybe, nothing else; 'close' follows every start.
    this.child.on('error', (error) => {
      this.ending ??= new ProcessingError('INTERNAL', `the processing worker failed: ${error.message.slice(0, 300)}`);
    });
    this.gone = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exited = true;
        clearTimeout(this.startupTimer);
        observer.workerExited?.();
        this.settle()?.reject(this.ending ?? this.deathCause(maxMemoryMb, code, signal));
        resolve();
      });
    });
  }

  /** Whether the worker can take another document. */
  get usable(): boolean {
    return !this.exited && this.ending === undefined && this.current === undefined;
  }

  /**
   * Processes one document within `timeoutMs`, counted from when the worker has started (a cold
   * start on a busy machine is not the file's fault); rejects with a ProcessingError.
   */
  run(request: WorkerRequest, timeoutMs: number): Promise<ProcessedFile> {
    if (!this.usable) return Promise.reject(new ProcessingError('INTERNAL', 'the processing worker is not available'));
    this.runs += 1;
    return new Promise((resolve, reject) => {
      const current = { resolve, reject };
      this.current = current;
      void this.ready.then(() => {
        if (this.current !== current) return;
        this.timer = setTimeout(() => void this.end('TIMEOUT', `processing the file took more than ${timeoutMs} ms`), timeoutMs);
        this.child.send(request);
      });
    });
  }

  /** Ends the worker; a run in progress fails with `code`. Resolves once the process is gone. */
  async end(code: ProcessingFailureCode = 'INTERNAL', message = 'the file processor stopped'): Promise<void> {
    this.ending ??= new ProcessingError(code, message);
    if (!this.exited) {
      // Idle workers are unref'd: without this, a caller awaiting stop() with nothing else to do
      // would see its process exit before the child's 'close' arrives.
      this.child.ref();
      (this.child.stderr as Socket | null)?.ref();
      this.child.kill('SIGKILL');
    }
    await this.gone;
  }

  private deathCause(maxMemoryMb: number, code: number | null, signal: NodeJS.Signals | null): ProcessingError {
    if (/heap out of memory|allocation failed/i.test(this.stderrTail)) {
      return new ProcessingError('OUT_OF_MEMORY', `processing the file needed more than ${maxMemoryMb} MB`);
    }
    return new ProcessingError('INTERNAL', `the processing worker exited (${signal ?? `code ${code}`})`);
  }

  private unref(): void {
    this.child.unref();
    this.child.channel?.unref();
    (this.child.stderr as Socket | null)?.unref();
  }

  private settle(): typeof this.current {
    const current = this.current;
    this.current = undefined;
    clearTimeout(this.timer);
    return current;
  }
}
