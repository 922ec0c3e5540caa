import type { estypes } from '@elastic/elasticsearch';
import { ENGLISH_STOPWORDS } from '../analysis';
import type { SearchIndexDefinition } from '../port';

/** Analyzer name in the index settings; its definition mirrors `analysis.ts`. */
export const TEXT_ANALYZER = 'chatgraph_text';

/** Where document parts live in `_source`: text and keyword fields under their own objects. */
export const textPath = (field: string): string => `text.${field}`;
export const keywordPath = (field: string): string => `keywords.${field}`;
export const VECTOR_FIELD = 'vector';

export interface TemplateOptions {
  /** One shard (default) keeps BM25 statistics index-wide, as the embedded engine's are. */
  numberOfShards?: number;
}

export function indexMappings(definition: SearchIndexDefinition): estypes.MappingTypeMapping {
  const text: Record<string, estypes.MappingProperty> = {};
  for (const field of Object.keys(definition.textFields)) text[field] = { type: 'text', analyzer: TEXT_ANALYZER };
  const keywords: Record<string, estypes.MappingProperty> = {};
  for (const field of definition.keywordFields ?? []) keywords[field] = { type: 'keyword' };
  const properties: Record<string, estypes.MappingProperty> = {
    // `_id` cannot be sorted on by default; this copy is the paging tie-breaker.
    id: { type: 'keyword' },
    ownerId: { type: 'keyword' },
    kind: { type: 'keyword' },
    text: { type: 'object', properties: text },
    keywords: { type: 'object', properties: keywords },
    createdAt: { type: 'date' },
    updatedAt: { type: 'date' },
  };
  if (definition.vectorDims !== undefined) {
    // Plain `hnsw` (no int8/bbq quantization, the newer defaults) so that scores are the exact
    // cosine the embedded engine computes; quantization would trade that for memory.
    properties[VECTOR_FIELD] = {
      type: 'dense_vector',
      dims: definition.vectorDims,
      index: true,
      similarity: 'cosine',
      index_options: { type: 'hnsw' },
    };
  }
  // strict: a document with a field the definition does not declare is refused, not guessed at.
  return { dynamic: 'strict', properties };
}

/**
 * Settings of every generation of the index: one shard by default, and the analyzer. Core
 * analysis only (`standard` type), since `analysis-common` may be absent.
 */
export function indexSettings(options: TemplateOptions = {}): estypes.IndicesIndexSettings {
  return {
    number_of_shards: options.numberOfShards ?? 1,
    auto_expand_replicas: '0-1',
    analysis: { analyzer: { [TEXT_ANALYZER]: { type: 'standard', stopwords: [...ENGLISH_STOPWORDS] } } },
  };
}
