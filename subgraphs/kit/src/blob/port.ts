import type { Readable } from 'node:stream';

/**
 * The blob-store port: named byte streams with a content type and string metadata (uploaded
 * files, extracted text, exports). Bodies stream both ways, so a blob never has to fit in
 * memory. Adapters: a local directory (embedded default) and MongoDB GridFS (production).
 *
 * Keys are `/`-separated segments of letters, digits, `.`, `_` and `-` (no `.` or `..` segment,
 * no empty segment, at most 512 characters), e.g. `files/<ownerId>/<fileId>`. Anything else is
 * refused with `BlobRequestError` by every adapter, so no key can reach outside its store.
 */

/** What `put` accepts: a stream of bytes, or the bytes themselves. */
export type BlobBody = Readable | Buffer | Uint8Array;

export interface PutOptions {
  /** Defaults to `application/octet-stream`. */
  contentType?: string;
  /** Small string key/values kept with the blob (file name, owner...). At most 8 KiB as JSON. */
  metadata?: Record<string, string>;
}

export interface PutResult {
  key: string;
  /** Bytes stored. */
  bytes: number;
  /** Hex SHA-256 of the bytes stored, computed while streaming. */
  sha256: string;
}

/** A byte range to read, both ends inclusive (as in an HTTP `Range: bytes=start-end`). */
export interface BlobRange {
  start: number;
  end: number;
}

export interface GetOptions {
  /**
   * Only these bytes (`stream` yields `end - start + 1` bytes). `end` past the last byte is read
   * as the last byte; `start` past it, or a negative or non-integer bound, is a `BlobRequestError`
   * (field `range`).
   */
  range?: BlobRange;
}

export interface StoredBlob {
  /** The bytes (only the requested range, with one); read it to the end or destroy it. */
  stream: Readable;
  /** Size of the whole blob, whatever range was read. */
  bytes: number;
  sha256: string;
  contentType: string;
  metadata: Record<string, string>;
}

export interface BlobStore {
  /**
   * Stores `body` under `key`, replacing any blob there. Readers see the old blob or the new one,
   * never part of one; if the body fails midway (or the process dies), the old blob stays.
   */
  put(key: string, body: BlobBody, options?: PutOptions): Promise<PutResult>;
  /** The blob under `key`, streaming (only `options.range` of it, if given), or `null` when there is none. */
  get(key: string, options?: GetOptions): Promise<StoredBlob | null>;
  /** Deletes the blob; false when there was none. */
  delete(key: string): Promise<boolean>;
  exists(key: string): Promise<boolean>;
  start(): Promise<void>;
  /** Waits for writes in progress, then releases files/connections. Safe to call twice. */
  stop(): Promise<void>;
  /** Throws when the store cannot serve requests (used by `/readyz`). */
  ping(): Promise<void>;
}
