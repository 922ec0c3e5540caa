import type { KeywordValues, SearchFilters } from './port';

/**
 * Filters in the one shape both adapters translate, so they read a request the same way:
 * an absent or empty list of values means "no restriction" (GraphQL `kinds: []` included).
 */
export interface NormalizedFilters {
  ownerId: string;
  kinds?: string[];
  /** Field and the values it may take (any of them). */
  keywords: Array<[field: string, values: string[]]>;
  createdFrom?: Date;
  createdBefore?: Date;
}

export function normalizeFilters(ownerId: string, filters: SearchFilters = {}): NormalizedFilters {
  const keywords: Array<[string, string[]]> = [];
  for (const [field, value] of Object.entries(filters.keywords ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    if (values.length > 0) keywords.push([field, values]);
  }
  return {
    ownerId,
    kinds: filters.kinds && filters.kinds.length > 0 ? filters.kinds : undefined,
    keywords,
    createdFrom: filters.createdAt?.gte,
    createdBefore: filters.createdAt?.lt,
  };
}

/** `filters` narrowed by more keyword values (a request's `vectorFilter`, for its kNN list). */
export function withKeywords(filters: NormalizedFilters, extra: KeywordValues | undefined): NormalizedFilters {
  if (!extra) return filters;
  return { ...filters, keywords: [...filters.keywords, ...normalizeFilters(filters.ownerId, { keywords: extra }).keywords] };
}
