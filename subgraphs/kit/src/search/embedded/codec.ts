import type { SearchDocument } from '../port';

/**
 * How the embedded engine writes a document to its files (journal and snapshot): dates as ISO
 * strings, the vector as base64 of its float64s (exact, and a third of its JSON size).
 */
export interface EncodedDocument extends Omit<SearchDocument, 'createdAt' | 'updatedAt' | 'vector'> {
  createdAt: string;
  updatedAt?: string;
  /** base64 of the vector's float64 values (little-endian). */
  v?: string;
  /** Snapshots of format 1 kept the vector as a JSON array. */
  vector?: number[];
}

export function encodeDocument(doc: SearchDocument): EncodedDocument {
  const { vector, createdAt, updatedAt, ...rest } = doc;
  const encoded: EncodedDocument = { ...rest, createdAt: createdAt.toISOString() };
  if (updatedAt) encoded.updatedAt = updatedAt.toISOString();
  if (vector) encoded.v = Buffer.from(Float64Array.from(vector).buffer).toString('base64');
  return encoded;
}

export function decodeDocument(encoded: EncodedDocument): SearchDocument {
  const { v, vector, createdAt, updatedAt, ...rest } = encoded;
  const doc: SearchDocument = { ...rest, createdAt: new Date(createdAt) };
  if (updatedAt !== undefined) doc.updatedAt = new Date(updatedAt);
  if (v !== undefined) {
    const bytes = Buffer.from(v, 'base64');
    // Copied into an aligned buffer: a Float64Array view needs an offset divisible by 8.
    doc.vector = [...new Float64Array(Uint8Array.from(bytes).buffer)];
  } else if (vector !== undefined) doc.vector = vector;
  return doc;
}
