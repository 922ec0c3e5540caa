/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, 2009), as Elasticsearch's `rrf` retriever
 * computes it: `score(d) = Σ 1 / (k + rank_i(d))` over the lists containing `d`, ranks from 1.
 * Done here rather than by the engine so that both adapters rank hybrid results identically, and
 * because Elasticsearch's retriever needs an Enterprise licence and the `rank-rrf` module.
 */

/** Elasticsearch's default `rank_constant`. */
export const RRF_RANK_CONSTANT = 60;

export interface FusedEntry {
  id: string;
  score: number;
}

/**
 * Fuses ranked lists of ids (best first; an id repeated within a list counts once, at its best
 * rank). Equal scores are ordered by the best rank reached in any list, then by id, so the order
 * is fully determined by the inputs.
 */
export function fuseByReciprocalRank(lists: ReadonlyArray<readonly string[]>, k: number = RRF_RANK_CONSTANT): FusedEntry[] {
  const fused = new Map<string, { score: number; bestRank: number }>();
  for (const list of lists) {
    const seen = new Set<string>();
    list.forEach((id, index) => {
      if (seen.has(id)) return;
      seen.add(id);
      const rank = index + 1;
      const entry = fused.get(id) ?? { score: 0, bestRank: rank };
      entry.score += 1 / (k + rank);
      entry.bestRank = Math.min(entry.bestRank, rank);
      fused.set(id, entry);
    });
  }
  return [...fused.entries()]
    .sort(([idA, a], [idB, b]) => b.score - a.score || a.bestRank - b.bestRank || compareIds(idA, idB))
    .map(([id, { score }]) => ({ id, score }));
}

/** Code-unit order, as Elasticsearch sorts `keyword` values (for ids in ASCII, identical). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
