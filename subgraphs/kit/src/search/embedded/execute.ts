import { queryTerms } from '../analysis';
import { decodeSearchCursor, type SearchCursor } from '../cursor';
import { normalizeFilters, withKeywords } from '../filters';
import { highlightFieldOrder } from '../highlight';
import type { SearchHit, SearchIndexDefinition, SearchRequest, SearchResult } from '../port';
import { byScoreThenId, fuseHybrid, isAfterKeyset, keywordCursor, pageOfWindow, topRanked, type RankedId } from '../ranking';
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
  const cursor = request.cursor ? decodeSearchCursor(request.cursor, request.mode) : undefined;
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

  let page: RankedId[];
  let next: string | null;
  let total: number;
  if (request.mode === 'keyword') {
    const scored = keywordList();
    total = scored.length;
    ({ page, cursor: next } = keywordPage(scored, request.size, cursor));
  } else {
    const ranked = request.mode === 'semantic' ? nearestList() : fuseHybrid(keywordList(), nearestList(), window);
    total = ranked.length;
    ({ page, cursor: next } = pageOfWindow(request.mode, ranked, request.size, cursor));
  }
  return { hits: page.flatMap((entry) => hitFor(table, definition, entry, terms)), cursor: next, total };
}

function keywordPage(scored: RankedId[], size: number, cursor: SearchCursor | undefined): { page: RankedId[]; cursor: string | null } {
  const after = cursor?.mode === 'keyword' ? cursor : undefined;
  const ordered = (after ? scored.filter((entry) => isAfterKeyset(entry, after)) : scored).sort(byScoreThenId);
  const page = ordered.slice(0, size);
  return { page, cursor: keywordCursor(page[page.length - 1], ordered.length > size) };
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0);
  return sum;
}

function hitFor(table: DocumentTable, definition: SearchIndexDefinition, entry: RankedId, terms: readonly string[]): SearchHit[] {
  const stored = table.get(entry.id);
  if (!stored) return [];
  const doc = structuredClone(stored.doc);
  return [{ id: doc.id, kind: doc.kind, score: entry.score, highlight: highlightOf(definition, doc.text, terms), doc }];
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
