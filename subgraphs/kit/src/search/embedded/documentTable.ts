import type { SearchDocument, StoredSearchDocument } from '../port';
import { TextIndex } from './textIndex';

/** A stored document and its unit-length vector (cosine then becomes a dot product). */
export interface TableEntry {
  doc: StoredSearchDocument;
  unitVector?: Float64Array;
}

/** The raw vector is kept only for snapshots; searches use `unitVector`. */
interface StoredEntry extends TableEntry {
  vector?: number[];
}

export function unitVector(vector: readonly number[]): Float64Array {
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return Float64Array.from(vector, (x) => x / norm);
}

/** Copies so that a caller mutating what it passed in or got back cannot change the index. */
function storedCopy(doc: SearchDocument): StoredSearchDocument {
  const { vector: _vector, ...rest } = doc;
  return structuredClone(rest);
}

/** A copy by hand, not `structuredClone`: its Dates would be of another realm in a vm (jest), failing `instanceof Date`. */
function copyOf(doc: StoredSearchDocument): StoredSearchDocument {
  const copy: StoredSearchDocument = { ...doc, text: { ...doc.text }, createdAt: new Date(doc.createdAt.getTime()) };
  if (doc.keywords)
    copy.keywords = Object.fromEntries(
      Object.entries(doc.keywords).map(([field, value]) => [field, Array.isArray(value) ? [...value] : value]),
    );
  if (doc.updatedAt) copy.updatedAt = new Date(doc.updatedAt.getTime());
  return copy;
}

/** The embedded engine's documents, indexed by id, by owner and by term. */
export class DocumentTable {
  private readonly entries = new Map<string, StoredEntry>();
  private readonly byOwner = new Map<string, Set<string>>();
  readonly text: TextIndex;

  constructor(textWeights: Record<string, number>) {
    this.text = new TextIndex(textWeights);
  }

  get size(): number {
    return this.entries.size;
  }

  get(id: string): TableEntry | undefined {
    return this.entries.get(id);
  }

  /** A copy of the document as written, with its vector. */
  document(id: string): SearchDocument | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    // Dates rebuilt here rather than cloned: a clone's Date may belong to another realm (jest's vm).
    const doc: SearchDocument = { ...structuredClone(entry.doc), createdAt: new Date(entry.doc.createdAt.getTime()) };
    if (entry.doc.updatedAt) doc.updatedAt = new Date(entry.doc.updatedAt.getTime());
    return entry.vector ? { ...doc, vector: [...entry.vector] } : doc;
  }

  /** Ids of one owner's documents: the only ones a search of that owner ever looks at. */
  idsOf(ownerId: string): ReadonlySet<string> {
    return this.byOwner.get(ownerId) ?? new Set();
  }

  put(doc: SearchDocument): void {
    this.remove(doc.id);
    const stored = storedCopy(doc);
    const entry: StoredEntry = { doc: stored };
    if (doc.vector) {
      entry.vector = [...doc.vector];
      entry.unitVector = unitVector(doc.vector);
    }
    this.entries.set(doc.id, entry);
    let owned = this.byOwner.get(doc.ownerId);
    if (!owned) this.byOwner.set(doc.ownerId, (owned = new Set()));
    owned.add(doc.id);
    this.text.add(doc.id, stored.text);
  }

  remove(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.text.remove(id, entry.doc.text);
    const owned = this.byOwner.get(entry.doc.ownerId);
    owned?.delete(id);
    if (owned?.size === 0) this.byOwner.delete(entry.doc.ownerId);
    this.entries.delete(id);
    return true;
  }

  /** Removes the owner's documents that pass `matches`; returns how many. */
  removeOwnerMatching(ownerId: string, matches: (doc: StoredSearchDocument) => boolean): number {
    const ids = [...this.idsOf(ownerId)].filter((id) => {
      const entry = this.entries.get(id);
      return entry !== undefined && matches(entry.doc);
    });
    for (const id of ids) this.remove(id);
    return ids.length;
  }

  removeOwner(ownerId: string): number {
    const ids = [...this.idsOf(ownerId)];
    for (const id of ids) this.remove(id);
    return ids.length;
  }

  /**
   * The first `size` documents in id order after `after` that `wanted` keeps (a maintenance scan):
   * one pass over the table keeping the smallest ids, not a sort of every document.
   */
  scan(wanted: (doc: StoredSearchDocument) => boolean, after: string | null, size: number): StoredSearchDocument[] {
    const best: string[] = [];
    for (const [id, entry] of this.entries) {
      if ((after !== null && id <= after) || (best.length === size && id >= (best[size - 1] ?? '')) || !wanted(entry.doc)) continue;
      let low = 0;
      let high = best.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if ((best[mid] ?? '') < id) low = mid + 1;
        else high = mid;
      }
      best.splice(low, 0, id);
      if (best.length > size) best.pop();
    }
    return best.flatMap((id) => {
      const entry = this.entries.get(id);
      return entry ? [copyOf(entry.doc)] : [];
    });
  }

  /** Every document with its vector, for snapshots. */
  *documents(): Generator<SearchDocument> {
    for (const { doc, vector } of this.entries.values()) yield vector ? { ...doc, vector } : doc;
  }
}
