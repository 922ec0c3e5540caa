import { randomBytes } from 'node:crypto';
import { isPlainObject, isStoredDoc, type StoredDoc, type StoredObject, type StoredValue } from '../subset';

/**
 * How documents are kept on the server. Each one carries a hidden revision token, replaced by
 * every write through the store: updates are computed in memory and written back only if the
 * token is still the one read (see updating.ts). A random token rather than a counter means a
 * document deleted and re-inserted under the same `_id` never looks unchanged.
 */
export const REVISION_FIELD = '__rev';

/** Fields the server may hold that the port never shows (mongoose's version key included). */
const HIDDEN_FIELDS = [REVISION_FIELD, '__v'];

export function newRevision(): string {
  return randomBytes(12).toString('base64url');
}

/** A document as read: the port's view of it, and the revision a conditional write must match. */
export interface Versioned {
  doc: StoredDoc;
  /** `null` for documents written by something else than this store (no token yet). */
  revision: string | null;
}

/** The row to send: the validated document plus a fresh revision. */
export function toServer(doc: StoredDoc, revision: string): StoredDoc & { [REVISION_FIELD]: string } {
  return { ...doc, [REVISION_FIELD]: revision };
}

/**
 * Turns a lean document (a fresh plain object from the driver, so it is changed in place rather
 * than copied) into the embedded adapter's value model. The store only writes JSON values and
 * dates; other BSON types can only come from other tools: ObjectIds become hex strings (as
 * mongoose's `flattenObjectIds` does on the way in) and anything else its string form, rather
 * than failing the whole read.
 */
export function fromServer(raw: unknown): Versioned {
  if (!isPlainObject(raw)) throw new TypeError('the server returned a document that is not an object');
  const token = raw[REVISION_FIELD];
  for (const field of HIDDEN_FIELDS) delete raw[field];
  const doc = plainValue(raw);
  if (!isStoredDoc(doc)) throw new TypeError(`stored document without a string _id: ${String(raw._id)}`);
  return { doc, revision: typeof token === 'string' ? token : null };
}

function plainValue(value: unknown): StoredValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = plainValue(value[i]);
    return value as StoredValue[];
  }
  if (isPlainObject(value)) {
    for (const key of Object.keys(value)) value[key] = plainValue(value[key]);
    return value as StoredObject;
  }
  const hex = (value as { toHexString?: unknown }).toHexString;
  if (typeof hex === 'function') return String(hex.call(value));
  return String(value);
}
