import { queryTerms } from '../analysis';
import { normalizeFilters, withKeywords } from '../filters';
import { highlightFieldOrder } from '../highlight';
import type { SearchHit, SearchIndexDefinition, SearchRequest, SearchResult } from '../port';
import { fuseHybrid, nextCursor, pageOfScored, pageOfWindow, pagingOf, topRanked, type RankedId, type RankedPage } from '../ranking';
import { rankWindowSize } from '../validate';
import { unitVector, type DocumentTable } from './documentTable';
import { matchesFilters } from './filters';
import { leadingFragment, markedFragment } from './highlight';

/** Runs a validated request against the table: the embedded engine's whole query path. */
export function executeSearch(table: DocumentTable, definition: SearchIndexDefinition, request: SearchRequest): SearchResult {
  const filters = normalizeFilters(request.ownerId, request.filters);
  // Owner first: only this owner's documents are ever considered, whatever the mode.
  const owned = table.idsOf(request.ownerId);
  const accept = (id: string): boolean => {
    const entry = owned.has(id) ? table.get(id) : undefined;
    return entry !== undefined && matchesFilters(entry.doc, filters);
  };
  const vectorFilters = withKeywords(filters, request.vectorFilter);
  const paging = pagingOf(request);
  const terms = queryTerms(request.text ?? '');
  const window = rankWindowSize(definition);

  const keywordList = (): RankedId[] => [...table.text.score(terms, accept)].map(([id, score]) => ({ id, score }));
  const nearestList = (): RankedId[] => {
    const query = unitVector(request.vector ?? []);
    const scored: RankedId[] = [];
    for (const id of owned) {
      const entry = table.get(id);
      const vector = entry?.unitVector;
      // Filtered before the product: a vector of another model (or size) is never compared.
      if (vector && entry && matchesFilters(entry.doc, vectorFilters)) scored.push({ id, score: (1 + dot(query, vector)) / 2 });
    }
    return topRanked(scored, window);
  };

  let paged: RankedPage;
  let total: number;
  if (request.mode === 'keyword') {
    const scored = keywordList();
    total = scored.length;
    paged = pageOfScored(paging, scored);
  } else {
    const ranked = request.mode === 'semantic' ? nearestList() : fuseHybrid(keywordList(), nearestList(), window);
    total = ranked.length;
    paged = pageOfWindow(paging, ranked);
  }
  return {
    hits: paged.page.flatMap((entry) => hitFor(table, definition, entry, terms)),
    cursor: nextCursor(paged),
    hasNext: paged.hasNext,
    hasPrevious: paged.hasPrevious,
    total,
  };
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0);
  return sum;
}

function hitFor(
  table: DocumentTable,
  definition: SearchIndexDefinition,
  entry: RankedId & { cursor: string },
  terms: readonly string[],
): SearchHit[] {
  const stored = table.get(entry.id);
  if (!stored) return [];
  const doc = structuredClone(stored.doc);
  return [
    { id: doc.id, kind: doc.kind, score: entry.score, highlight: highlightOf(definition, doc.text, terms), doc, cursor: entry.cursor },
  ];
}

/** The heaviest field where a term occurs, else the start of the heaviest non-empty field. */
function highlightOf(definition: SearchIndexDefinition, text: Record<string, string>, terms: readonly string[]): string {
  const fields = highlightFieldOrder(definition.textFields);
  const wanted = new Set(terms);
  for (const field of fields) {
    const marked = text[field] ? markedFragment(text[field], wanted) : undefined;
    if (marked) return marked;
  }
  const first = fields.find((field) => text[field]?.trim());
  return first ? leadingFragment(text[first] ?? '') : '';
}
