import type { StreamEntry } from '../port';

/**
 * How far past `maxLen` an approximately bounded stream may grow before it is cut back, so trimming
 * costs one splice per batch of appends rather than one per append. Below Redis's slack (whole
 * nodes of 100 entries), so the documented bound `maxLen + 100` holds on both adapters.
 */
const TRIM_SLACK = 64;

/**
 * One embedded stream: entries in `seq` order. Because seqs are consecutive, the position of a seq
 * is arithmetic, so reading after a seq costs no search.
 */
export class StreamLog {
  private entries: StreamEntry[] = [];
  private last = 0;

  /** The seq of the last entry ever appended (0 for none). */
  get lastSeq(): number {
    return this.last;
  }

  get length(): number {
    return this.entries.length;
  }

  append(fields: Record<string, string>, maxLen: number | undefined): number {
    this.last += 1;
    this.entries.push(Object.freeze({ seq: this.last, fields: Object.freeze({ ...fields }) }));
    if (maxLen !== undefined && this.entries.length > maxLen + TRIM_SLACK) this.trim(maxLen);
    return this.last;
  }

  read(after: number, count: number | undefined): StreamEntry[] {
    const first = this.entries[0];
    if (!first) return [];
    const from = Math.max(0, after + 1 - first.seq);
    return this.entries.slice(from, count === undefined ? undefined : from + count);
  }

  /** Keeps exactly the newest `maxLen` entries; returns how many were removed. */
  trim(maxLen: number): number {
    const excess = Math.max(0, this.entries.length - maxLen);
    if (excess > 0) this.entries = this.entries.slice(excess);
    return excess;
  }
}
