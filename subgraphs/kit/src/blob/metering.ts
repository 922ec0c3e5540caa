import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { BlobBody } from './port';

/** The body as a stream (buffers become a one-chunk stream). */
export function bodyStream(body: BlobBody): Readable {
  if (body instanceof Readable) return body;
  return Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
}

/** A pass-through that counts bytes and hashes them (SHA-256) on their way to storage. */
export class Meter extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.hash.update(buffer);
    this.bytes += buffer.length;
    callback(null, buffer);
  }

  /** Hex digest; call once the stream has finished. */
  digest(): string {
    return this.hash.digest('hex');
  }
}
