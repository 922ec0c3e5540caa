import type { estypes } from '@elastic/elasticsearch';
import type { NormalizedFilters } from '../filters';
import { FRAGMENT_SIZE, HIGHLIGHT_POST_TAG, HIGHLIGHT_PRE_TAG } from '../highlight';
import type { SearchIndexDefinition } from '../port';
import { keywordPath, textPath, VECTOR_FIELD } from './mappings';

type Query = estypes.QueryDslQueryContainer;

/**
 * Filter clauses, owner first. Every query this adapter sends goes through here (as `bool.filter`
 * or as the kNN pre-filter), which is what makes searching across owners impossible.
 */
export function filterClauses(filters: NormalizedFilters): Query[] {
  const clauses: Query[] = [{ term: { ownerId: filters.ownerId } }];
  if (filters.kinds) clauses.push({ terms: { kind: filters.kinds } });
  for (const [field, values] of filters.keywords) clauses.push({ terms: { [keywordPath(field)]: values } });
  if (filters.createdFrom || filters.createdBefore) {
    const range: estypes.QueryDslDateRangeQuery = { format: 'strict_date_optional_time' };
    if (filters.createdFrom) range.gte = filters.createdFrom.toISOString();
    if (filters.createdBefore) range.lt = filters.createdBefore.toISOString();
    clauses.push({ range: { createdAt: range } });
  }
  return clauses;
}

/** BM25 over every text field with its weight; `best_fields` as in the embedded engine. */
export function textQuery(definition: SearchIndexDefinition, text: string): Query {
  const fields = Object.entries(definition.textFields).map(([field, weight]) => `${textPath(field)}^${weight}`);
  return { multi_match: { query: text, fields, type: 'best_fields', operator: 'or' } };
}

export function keywordQuery(definition: SearchIndexDefinition, text: string, filters: NormalizedFilters): Query {
  return { bool: { must: [textQuery(definition, text)], filter: filterClauses(filters) } };
}

/** Score first, then our id, so equal scores have one order (the embedded engine's). */
export const SCORE_THEN_ID: estypes.SortCombinations[] = [{ _score: { order: 'desc' } }, { id: { order: 'asc' } }];

/** `SCORE_THEN_ID` reversed: backward pages read from the `before` hit towards the best. */
export const WORST_FIRST: estypes.SortCombinations[] = [{ _score: { order: 'asc' } }, { id: { order: 'desc' } }];

export function knnSearch(vector: number[], window: number, filters: NormalizedFilters): estypes.KnnSearch {
  return {
    field: VECTOR_FIELD,
    query_vector: vector,
    k: window,
    // More candidates than results for HNSW recall; Elasticsearch caps num_candidates at 10000.
    num_candidates: Math.min(10_000, Math.max(100, window * 2)),
    filter: filterClauses(filters),
  };
}

/**
 * One fragment per text field, terms in `<mark>`, the rest HTML-escaped; the start of the field
 * when nothing matches. `highlightText` marks a query other than the search's own (kNN or ids).
 */
export function highlight(definition: SearchIndexDefinition, highlightText?: string): estypes.SearchHighlight {
  const fields: Record<string, estypes.SearchHighlightField> = {};
  for (const field of Object.keys(definition.textFields)) fields[textPath(field)] = {};
  const config: estypes.SearchHighlight = {
    pre_tags: [HIGHLIGHT_PRE_TAG],
    post_tags: [HIGHLIGHT_POST_TAG],
    encoder: 'html',
    number_of_fragments: 1,
    fragment_size: FRAGMENT_SIZE,
    no_match_size: FRAGMENT_SIZE,
    order: 'score',
    fields,
  };
  if (highlightText !== undefined) config.highlight_query = textQuery(definition, highlightText);
  return config;
}
