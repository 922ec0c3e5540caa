import { BlobRequestError } from './errors';
import type { BlobRange, PutOptions } from './port';

/** Checks of what callers pass, shared by every adapter so they refuse exactly the same things. */

const SEGMENT = /^[A-Za-z0-9._-]+$/;
const MAX_KEY_LENGTH = 512;
const MAX_METADATA_BYTES = 8 * 1024;
/** `type/subtype` with optional parameters, as in a Content-Type header. */
const CONTENT_TYPE = /^[\w.+-]+\/[\w.+-]+(\s*;\s*[\w.+-]+=("[^"\r\n]*"|[\w.+-]+))*$/;

/** Returns `key` if it is a valid blob key (see port.ts), else throws `BlobRequestError`. */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new BlobRequestError('key', `a blob key must be a string of 1 to ${MAX_KEY_LENGTH} characters`);
  }
  for (const segment of key.split('/')) {
    // `.` and `..` would walk the tree of a directory-backed adapter; an empty segment means `//` or a leading `/`.
    if (!SEGMENT.test(segment) || segment === '.' || segment === '..') {
      throw new BlobRequestError(
        'key',
        `invalid blob key ${JSON.stringify(key)}: segments are letters, digits, '.', '_' and '-', not '.' or '..'`,
      );
    }
  }
  return key;
}

export interface CheckedOptions {
  contentType: string;
  metadata: Record<string, string>;
}

/** Normalised put options, or `BlobRequestError`. */
export function checkPutOptions(options: PutOptions = {}): CheckedOptions {
  const contentType = options.contentType ?? 'application/octet-stream';
  if (typeof contentType !== 'string' || contentType.length > 255 || !CONTENT_TYPE.test(contentType)) {
    throw new BlobRequestError('contentType', `invalid content type ${JSON.stringify(contentType)}`);
  }
  const metadata: Record<string, string> = {};
  const given: unknown = options.metadata ?? {};
  if (given === null || typeof given !== 'object' || Array.isArray(given))
    throw new BlobRequestError('metadata', 'metadata must be an object of strings');
  for (const [name, value] of Object.entries(given)) {
    // `$` and `.` in names would be operators or paths once stored in a MongoDB document.
    if (typeof value !== 'string' || name.startsWith('$') || name.includes('.')) {
      throw new BlobRequestError('metadata', `metadata ${JSON.stringify(name)} must be a string under a name without '$' or '.'`);
    }
    metadata[name] = value;
  }
  if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES)
    throw new BlobRequestError('metadata', `metadata is over ${MAX_METADATA_BYTES} bytes`);
  return { contentType, metadata };
}

/** The range to read of a blob of `size` bytes (end clamped to the last byte), or `BlobRequestError`. */
export function checkRange(range: BlobRange, size: number): BlobRange {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || start >= size) {
    throw new BlobRequestError('range', `range ${start}-${end} is outside a blob of ${size} bytes`);
  }
  return { start, end: Math.min(end, size - 1) };
}
