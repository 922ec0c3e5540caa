import { DuplicateKeyError } from '../errors';
import type { Filter, IndexSpec, Sort } from '../port';
import type { StoredDoc } from './codec';
import type { Predicate } from './filter';
import { IndexSet } from './indexes';
import { sortDocs } from './sort';

/**
 * The in-memory state of one collection. Every mutating method is synchronous up to the promise
 * it returns: it checks unique indexes, applies the change to the map and indexes, and enqueues
 * the durable write, with no await in between, so concurrent callers can never both pass a
 * uniqueness check. The promise resolves when the change is durable.
 *
 * Stored document objects are never mutated: a write replaces the map entry. That lets readers
 * hold references safely.
 */

/** Where the state's changes become durable (the store's SQLite write batch, bound to this collection). */
export interface Journaling {
  /** Resolves once the change is durable: the full new document, or a delete by id. */
  submit(op: { put: StoredDoc } | { del: string }): Promise<void>;
  /** Set once a write could not be made durable. */
  readonly failed: Error | undefined;
}

const ID_INDEX = '_id_';

/** Documents of one collection in memory, with their indexes; see the file comment. */
export class CollectionState {
  private readonly indexes: IndexSet;

  constructor(
    readonly name: string,
    private readonly docs: Map<string, StoredDoc>,
    specs: readonly IndexSpec[],
    private readonly journal: Journaling,
  ) {
    this.indexes = new IndexSet(name, specs);
    // Indexes are built from the loaded documents (a clash means the stored data breaks the spec's unique index).
    for (const doc of docs.values()) {
      try {
        this.indexes.check(doc);
      } catch (error) {
        if (error instanceof DuplicateKeyError) {
          throw new Error(`cannot build unique index ${error.index} of ${name}: stored documents already hold duplicate keys`);
        }
        throw error;
      }
      this.indexes.apply(undefined, doc);
    }
  }

  get size(): number {
    return this.docs.size;
  }

  get(id: string): StoredDoc | undefined {
    return this.docs.get(id);
  }

  /** Matching documents (live references: callers copy before handing them out). */
  find(filter: Filter, predicate: Predicate, options: { sort?: Sort; skip?: number; limit?: number } = {}): StoredDoc[] {
    const { sort, skip = 0, limit = 0 } = options;
    const sorted = sort !== undefined && Object.keys(sort).length > 0;
    // Without a sort, stop scanning as soon as the page is full.
    const enough = !sorted && limit > 0 ? skip + limit : Infinity;
    const matches: StoredDoc[] = [];
    for (const doc of this.scan(filter)) {
      if (predicate(doc)) matches.push(doc);
      if (matches.length >= enough) break;
    }
    const ordered = sorted ? sortDocs(matches, sort) : matches;
    return ordered.slice(skip, limit > 0 ? skip + limit : undefined);
  }

  /** The first matching document in natural order. */
  findFirst(filter: Filter, predicate: Predicate): StoredDoc | undefined {
    for (const doc of this.scan(filter)) if (predicate(doc)) return doc;
    return undefined;
  }

  private *scan(filter: Filter): Iterable<StoredDoc> {
    const ids = this.indexes.candidates(filter);
    if (ids === undefined) {
      yield* this.docs.values();
      return;
    }
    for (const id of ids) {
      const doc = this.docs.get(id);
      if (doc) yield doc;
    }
  }

  /**
   * After a failed fsync the durable state is unknown; memory would drift from disk with every
   * further write, so the collection stops accepting them (ping reports it).
   */
  private assertWritable(): void {
    const failure = this.journal.failed;
    if (failure) throw new Error(`collection ${this.name} refuses writes after a storage failure: ${failure.message}`);
  }

  /** Inserts documents, all or none (`DuplicateKeyError` leaves the state unchanged). */
  insert(docs: readonly StoredDoc[]): Promise<void> {
    this.assertWritable();
    const applied: StoredDoc[] = [];
    try {
      for (const doc of docs) {
        if (this.docs.has(doc._id)) throw new DuplicateKeyError(this.name, ID_INDEX, ['_id']);
        this.indexes.check(doc);
        this.indexes.apply(undefined, doc);
        this.docs.set(doc._id, doc);
        applied.push(doc);
      }
    } catch (error) {
      for (const doc of applied.reverse()) {
        this.indexes.apply(doc, undefined);
        this.docs.delete(doc._id);
      }
      throw error;
    }
    return Promise.all(applied.map((doc) => this.journal.submit({ put: doc }))).then(() => undefined);
  }

  /**
   * Replaces `prev` with `next` (same `_id`). Returns `undefined` without changing anything when
   * `prev` is no longer the stored version (a concurrent write won; the caller retries).
   */
  replace(prev: StoredDoc, next: StoredDoc): Promise<void> | undefined {
    if (this.docs.get(prev._id) !== prev) return undefined;
    this.assertWritable();
    this.indexes.check(next);
    this.indexes.apply(prev, next);
    this.docs.set(next._id, next);
    return this.journal.submit({ put: next });
  }

  /** Deletes documents that are still stored as given. */
  remove(docs: readonly StoredDoc[]): { removed: number; durable: Promise<void> } {
    this.assertWritable();
    const durable: Array<Promise<void>> = [];
    for (const doc of docs) {
      if (this.docs.get(doc._id) !== doc) continue;
      this.indexes.apply(doc, undefined);
      this.docs.delete(doc._id);
      durable.push(this.journal.submit({ del: doc._id }));
    }
    return { removed: durable.length, durable: Promise.all(durable).then(() => undefined) };
  }
}
