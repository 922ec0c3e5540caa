import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobStore } from '../../src/blob';

/** Helpers shared by the blob-store contract and the adapter tests. */

export interface BlobStoreUnderTest {
  store: BlobStore;
  cleanup: () => Promise<void>;
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `size` random bytes. */
export function payload(size: number): Buffer {
  return randomBytes(size);
}

/** Streams `bytes` in `chunk`-sized pieces, as an upload from a socket would arrive. */
export function chunked(bytes: Buffer, chunk = 64 * 1024): Readable {
  function* pieces(): Generator<Buffer> {
    for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
  }
  return Readable.from(pieces(), { objectMode: false });
}

/** Streams `good` bytes, then fails, as a dropped upload would. */
export function failingAfter(good: Buffer): Readable {
  async function* pieces(): AsyncGenerator<Buffer> {
    yield good;
    await new Promise((resolve) => setImmediate(resolve));
    throw new Error('client went away');
  }
  return Readable.from(pieces(), { objectMode: false });
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.isBuffer(part) ? part : Buffer.from(part as Uint8Array));
  return Buffer.concat(parts);
}

/** Reads a blob fully; `null` when absent. */
export async function readBlob(store: BlobStore, key: string): Promise<Buffer | null> {
  const blob = await store.get(key);
  return blob ? readAll(blob.stream) : null;
}

export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}
