import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Type sniffing from a file's first bytes with `file-type` (maintained, magic numbers for
 * hundreds of formats). `file-type` is ESM only; this service runs as CommonJS (tsx, and jest,
 * whose module system cannot `require` an ES module without --experimental-vm-modules). So it
 * runs in one small worker thread that `import()`s it natively; a request costs a message of at
 * most SNIFF_BYTES each way. Text formats have no magic number: `textLooksValid` checks them.
 */

/** Bytes `file-type` needs to recognise every format it knows. */
export const SNIFF_BYTES = 4100;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.url).then((ft) => {
  parentPort.on('message', ({ id, bytes }) => {
    ft.fileTypeFromBuffer(bytes).then(
      (found) => parentPort.postMessage({ id, mime: found ? found.mime : null }),
      (error) => parentPort.postMessage({ id, error: String(error) }),
    );
  });
  parentPort.postMessage({ ready: true });
}, (error) => parentPort.postMessage({ failed: String(error) }));
`;

interface Reply {
  id?: number;
  mime?: string | null;
  error?: string;
  ready?: boolean;
  failed?: string;
}

/** Sniffs media types in a worker thread; `stop()` ends it. */
export class Sniffer {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(mime: string | null): void; reject(error: Error): void }>();

  private start(): Promise<void> {
    this.ready ??= new Promise<void>((resolve, reject) => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { url: pathToFileURL(require.resolve('file-type')).href } });
      // An idle sniffer must not keep the process alive.
      worker.unref();
      this.worker = worker;
      worker.on('message', (reply: Reply) => {
        if (reply.ready) return resolve();
        if (reply.failed) return reject(new Error(`file-type could not be loaded: ${reply.failed}`));
        const pending = reply.id === undefined ? undefined : this.waiting.get(reply.id);
        if (!pending || reply.id === undefined) return;
        this.waiting.delete(reply.id);
        if (reply.error) pending.reject(new Error(reply.error));
        else pending.resolve(reply.mime ?? null);
      });
      worker.on('error', (error) => {
        reject(error);
        this.failAll(error);
      });
      worker.on('exit', () => {
        this.worker = undefined;
        this.ready = undefined;
        this.failAll(new Error('the sniffer worker exited'));
      });
    });
    return this.ready;
  }

  private failAll(error: Error): void {
    for (const pending of this.waiting.values()) pending.reject(error);
    this.waiting.clear();
  }

  /** The media type the bytes' magic number says, or null when `file-type` knows none (text, unknown). */
  async sniff(head: Buffer): Promise<string | null> {
    await this.start();
    const worker = this.worker;
    if (!worker) throw new Error('the sniffer worker is not running');
    const id = this.nextId++;
    const bytes = new Uint8Array(head.subarray(0, SNIFF_BYTES));
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, bytes });
    });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (worker) await worker.terminate();
  }
}

/** Media types whose bytes are text (no magic number): they must be UTF-8 without NUL bytes. */
export function isTextType(mimeType: string): boolean {
  return mimeType.startsWith('text/') || mimeType === 'application/json';
}

/**
 * Checks text incrementally: valid UTF-8 and no NUL byte (what binaries and UTF-16 have). Feed
 * every chunk, then `end()`; each answers false once the bytes stopped looking like text.
 */
export class TextCheck {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private ok = true;

  push(chunk: Buffer): boolean {
    if (!this.ok) return false;
    if (chunk.includes(0)) return (this.ok = false);
    try {
      this.decoder.decode(chunk, { stream: true });
    } catch {
      this.ok = false;
    }
    return this.ok;
  }

  end(): boolean {
    if (!this.ok) return false;
    try {
      this.decoder.decode();
    } catch {
      this.ok = false;
    }
    return this.ok;
  }
}
