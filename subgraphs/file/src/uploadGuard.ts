import { Transform, type TransformCallback } from 'node:stream';
import { isTextType, SNIFF_BYTES, TextCheck, type Sniffer } from './sniff';

/** Why the bytes of an upload were refused while streaming (nothing is kept). */
export class UploadRefusedError extends Error {
  constructor(
    readonly status: 413 | 415,
    readonly reason: 'TOO_LARGE' | 'TYPE_MISMATCH',
    message: string,
  ) {
    super(message);
    this.name = 'UploadRefusedError';
  }
}

/** Whether bytes sniffed as `sniffed` (null: no magic number) may be stored as `claimed`. */
export function typeMatches(claimed: string, sniffed: string | null): boolean {
  return isTextType(claimed) ? sniffed === null : sniffed === claimed;
}

/**
 * The checks an upload's bytes pass on their way to the blob store, while streaming: at most
 * `maxBytes` (past it the stream fails at once, so the store drops what it had), and the type
 * sniffed from the first SNIFF_BYTES must match the claimed one (the head is held back until it
 * is sniffed, so not a byte of a spoofed file reaches storage); text types must stay UTF-8
 * without NUL to the last byte.
 */
export class UploadGuard extends Transform {
  bytes = 0;
  private head: Buffer[] = [];
  private headBytes = 0;
  private sniffed = false;
  private readonly text: TextCheck | undefined;

  constructor(
    private readonly claimed: string,
    private readonly maxBytes: number,
    private readonly sniffer: Sniffer,
  ) {
    super();
    this.text = isTextType(claimed) ? new TextCheck() : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return callback(this.tooLarge());
    if (this.text && !this.text.push(chunk)) return callback(this.mismatch());
    if (this.sniffed) return callback(null, chunk);
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes < SNIFF_BYTES) return callback();
    this.release(callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.text && !this.text.end()) return callback(this.mismatch());
    if (this.sniffed) return callback();
    this.release(callback);
  }

  /** Sniffs the held-back head, then lets it through (or fails the stream). */
  private release(callback: TransformCallback): void {
    const head = Buffer.concat(this.head);
    this.head = [];
    this.sniffer.sniff(head).then(
      (mime) => {
        if (!typeMatches(this.claimed, mime)) return callback(this.mismatch(mime));
        this.sniffed = true;
        callback(null, head);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  private tooLarge(): UploadRefusedError {
    return new UploadRefusedError(413, 'TOO_LARGE', `The file is larger than the ${this.maxBytes} bytes announced or allowed`);
  }

  private mismatch(sniffed?: string | null): UploadRefusedError {
    const what = sniffed ? `look like ${sniffed}` : this.text ? 'are not UTF-8 text' : 'match no known type';
    return new UploadRefusedError(415, 'TYPE_MISMATCH', `The bytes ${what}, not ${this.claimed}`);
  }
}
