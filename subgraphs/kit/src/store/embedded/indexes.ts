import { DuplicateKeyError } from '../errors';
import type { Filter, IndexSpec } from '../port';
import { encodeJson, type StoredDoc, type StoredValue } from './codec';
import { equalityFields, isOperatorObject } from './filter';
import { pathExists, valuesAtPath } from './paths';

/**
 * Secondary indexes of one collection: unique (and compound unique) constraints, plus equality
 * lookup tables on the first field of every declared index. All methods are synchronous so the
 * collection can check and apply a write with no await in between.
 */

/** Mongo's default index name: `field_1_other_-1`. */
export function indexName(spec: IndexSpec): string {
  return (
    spec.name ??
    Object.entries(spec.fields)
      .map(([field, direction]) => `${field}_${direction}`)
      .join('_')
  );
}

/** A type-tagged key so that 1, '1' and a date with time 1 never collide; null and missing are one key (Mongo). */
function valueKey(value: StoredValue | undefined): string {
  if (value === null || value === undefined) return 'z';
  if (typeof value === 'number') return `n${value}`;
  if (typeof value === 'string') return `s${value}`;
  if (typeof value === 'boolean') return value ? 'bt' : 'bf';
  if (value instanceof Date) return `d${value.getTime()}`;
  return `o${encodeJson(value)}`;
}

/** Index keys of a document: one per combination of array elements (multikey); none when a sparse index skips it. */
function indexKeys(doc: StoredDoc, fields: readonly string[], sparse: boolean): string[] {
  let keys: string[][] = [[]];
  for (const field of fields) {
    const values = valuesAtPath(doc, field);
    if (values.length === 0) {
      if (sparse) return [];
      values.push(null);
    }
    const parts = [...new Set(values.map(valueKey))];
    keys = keys.flatMap((prefix) => parts.map((part) => [...prefix, part]));
  }
  return [...new Set(keys.map((key) => JSON.stringify(key)))];
}

class UniqueIndex {
  private readonly owners = new Map<string, string>();
  constructor(
    readonly name: string,
    readonly fields: string[],
    private readonly sparse: boolean,
  ) {}

  /** The id of another document holding one of `doc`'s keys, if any. */
  clash(doc: StoredDoc): string | undefined {
    for (const key of indexKeys(doc, this.fields, this.sparse)) {
      const owner = this.owners.get(key);
      if (owner !== undefined && owner !== doc._id) return owner;
    }
    return undefined;
  }

  add(doc: StoredDoc): void {
    for (const key of indexKeys(doc, this.fields, this.sparse)) this.owners.set(key, doc._id);
  }

  remove(doc: StoredDoc): void {
    for (const key of indexKeys(doc, this.fields, this.sparse)) {
      if (this.owners.get(key) === doc._id) this.owners.delete(key);
    }
  }
}

class LookupIndex {
  private readonly ids = new Map<string, Set<string>>();
  /**
   * Ids of documents where the field exists, in the order they came to hold it: answers
   * `{ field: { $exists: true } }` without a scan (the outbox relay's query, which would otherwise
   * read every document of the collection on every pass).
   */
  readonly present = new Set<string>();
  constructor(readonly field: string) {}

  /** Moves `prev`'s entries to `next`'s; a document that holds the field before and after keeps its place in `present`. */
  move(prev: StoredDoc | undefined, next: StoredDoc | undefined): void {
    if (prev) this.remove(prev);
    if (next) this.add(next);
    const had = prev !== undefined && pathExists(prev, this.field);
    const has = next !== undefined && pathExists(next, this.field);
    const id = (next ?? prev)?._id;
    if (id === undefined || had === has) return;
    if (has) this.present.add(id);
    else this.present.delete(id);
  }

  private add(doc: StoredDoc): void {
    for (const key of indexKeys(doc, [this.field], false)) {
      let set = this.ids.get(key);
      if (!set) this.ids.set(key, (set = new Set()));
      set.add(doc._id);
    }
  }

  private remove(doc: StoredDoc): void {
    for (const key of indexKeys(doc, [this.field], false)) {
      const set = this.ids.get(key);
      set?.delete(doc._id);
      if (set?.size === 0) this.ids.delete(key);
    }
  }

  /** Ids of documents holding any of `values` at the field. */
  lookup(values: readonly StoredValue[]): Set<string> {
    const out = new Set<string>();
    for (const value of values) for (const id of this.ids.get(JSON.stringify([valueKey(value)])) ?? []) out.add(id);
    return out;
  }
}

/** Only plain scalars are looked up: null matches missing fields and sub-documents match structurally. */
function isLookupValue(value: unknown): value is string | number | boolean | Date {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value instanceof Date;
}

/** The indexes of one collection, kept in step with its documents by `CollectionState`. */
export class IndexSet {
  private readonly unique: UniqueIndex[];
  private readonly lookups = new Map<string, LookupIndex>();

  constructor(
    private readonly collection: string,
    specs: readonly IndexSpec[],
  ) {
    this.unique = specs
      .filter((spec) => spec.unique)
      .map((spec) => new UniqueIndex(indexName(spec), Object.keys(spec.fields), spec.sparse ?? false));
    for (const spec of specs) {
      const first = Object.keys(spec.fields)[0];
      if (first !== undefined && first !== '_id' && !this.lookups.has(first)) this.lookups.set(first, new LookupIndex(first));
    }
  }

  /** Throws `DuplicateKeyError` if storing `next` (replacing the document with its `_id`) would break a unique index. */
  check(next: StoredDoc): void {
    for (const index of this.unique) {
      if (index.clash(next) !== undefined) throw new DuplicateKeyError(this.collection, index.name, index.fields);
    }
  }

  /** Moves index entries from `prev` to `next` (either may be absent). Call after `check`. */
  apply(prev: StoredDoc | undefined, next: StoredDoc | undefined): void {
    for (const index of this.unique) {
      if (prev) index.remove(prev);
      if (next) index.add(next);
    }
    for (const index of this.lookups.values()) index.move(prev, next);
  }

  /**
   * Ids that may match `filter` (a superset: the caller still tests each document), or
   * `undefined` when no index narrows it and the whole collection must be scanned.
   */
  candidates(filter: Filter): Iterable<string> | undefined {
    let best: Set<string> | undefined;
    const consider = (set: Set<string>): void => {
      if (!best || set.size < best.size) best = set;
    };
    for (const [field, value] of equalityFields(filter)) {
      if (field === '_id' && typeof value === 'string') return [value];
      const index = this.lookups.get(field);
      if (index && isLookupValue(value)) consider(index.lookup([value]));
    }
    for (const [field, condition] of Object.entries(filter)) {
      if (!isOperatorObject(condition)) continue;
      const index = this.lookups.get(field);
      if (condition.$exists === true && index) consider(index.present);
      if (!Array.isArray(condition.$in)) continue;
      const values: unknown[] = condition.$in;
      if (!values.every(isLookupValue)) continue;
      if (field === '_id') {
        if (values.every((value) => typeof value === 'string')) return new Set(values as string[]);
      } else if (index) {
        consider(index.lookup(values));
      }
    }
    return best;
  }
}
