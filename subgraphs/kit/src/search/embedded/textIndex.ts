import { analyze } from '../analysis';

/**
 * An inverted index scored with BM25 as Elasticsearch does (its `_explain` output), so keyword
 * rankings and even scores agree on the same corpus:
 * `(k1 + 1) · idf · tf / (tf + k1 · (1 − b + b · dl / avgdl))`, `idf = ln(1 + (N − n + 0.5) / (n + 0.5))`.
 * Elasticsearch keeps the `(k1 + 1)` factor that Lucene itself dropped (its legacy BM25).
 * Statistics are index-wide (all owners), like a single Elasticsearch shard's.
 */

const K1 = 1.2;
const B = 0.75;

class FieldIndex {
  /** term -> document id -> term frequency */
  readonly postings = new Map<string, Map<string, number>>();
  /** Documents with at least one term in this field, and their lengths in terms. */
  readonly lengths = new Map<string, number>();
  totalLength = 0;

  add(id: string, text: string): void {
    const terms = analyze(text).map((token) => token.term);
    if (terms.length === 0) return;
    for (const term of terms) {
      let posting = this.postings.get(term);
      if (!posting) this.postings.set(term, (posting = new Map()));
      posting.set(id, (posting.get(id) ?? 0) + 1);
    }
    this.lengths.set(id, terms.length);
    this.totalLength += terms.length;
  }

  remove(id: string, text: string): void {
    const length = this.lengths.get(id);
    if (length === undefined) return;
    for (const token of analyze(text)) {
      const posting = this.postings.get(token.term);
      posting?.delete(id);
      if (posting?.size === 0) this.postings.delete(token.term);
    }
    this.lengths.delete(id);
    this.totalLength -= length;
  }

  /** Adds this field's BM25 contribution of one query term to `scores` (per document). */
  scoreTerm(term: string, boost: number, accept: (id: string) => boolean, scores: Map<string, number>): void {
    const posting = this.postings.get(term);
    if (!posting) return;
    const docCount = this.lengths.size;
    const avgLength = this.totalLength / docCount;
    const idf = Math.log(1 + (docCount - posting.size + 0.5) / (posting.size + 0.5));
    for (const [id, tf] of posting) {
      if (!accept(id)) continue;
      const length = this.lengths.get(id) ?? avgLength;
      const score = ((K1 + 1) * boost * idf * tf) / (tf + K1 * (1 - B + (B * length) / avgLength));
      scores.set(id, (scores.get(id) ?? 0) + score);
    }
  }
}

export class TextIndex {
  private readonly fields = new Map<string, { weight: number; index: FieldIndex }>();

  constructor(weights: Record<string, number>) {
    for (const [field, weight] of Object.entries(weights)) this.fields.set(field, { weight, index: new FieldIndex() });
  }

  add(id: string, text: Record<string, string>): void {
    for (const [field, value] of Object.entries(text)) this.fields.get(field)?.index.add(id, value);
  }

  /** `text` must be what was added for `id` (the caller keeps the document). */
  remove(id: string, text: Record<string, string>): void {
    for (const [field, value] of Object.entries(text)) this.fields.get(field)?.index.remove(id, value);
  }

  /**
   * Scores documents matching any term (OR), as a `multi_match` of type `best_fields`: each
   * field's weighted sum over the terms, the best field wins.
   */
  score(terms: readonly string[], accept: (id: string) => boolean): Map<string, number> {
    const best = new Map<string, number>();
    for (const { weight, index } of this.fields.values()) {
      const fieldScores = new Map<string, number>();
      for (const term of terms) index.scoreTerm(term, weight, accept, fieldScores);
      for (const [id, score] of fieldScores) best.set(id, Math.max(best.get(id) ?? 0, score));
    }
    return best;
  }
}
