/** The search-index port, its shared ranking pieces, and both adapters. */
export * from './port';
export * from './errors';
export { fuseByReciprocalRank, RRF_RANK_CONSTANT, type FusedEntry } from './rrf';
export { HIGHLIGHT_PRE_TAG, HIGHLIGHT_POST_TAG } from './highlight';
export { MAX_SEARCH_PAGE_SIZE, DEFAULT_RANK_WINDOW_SIZE } from './validate';
export { createEmbeddedSearchIndex, type EmbeddedSearchOptions } from './embedded/embeddedSearchIndex';
export {
  createElasticsearchIndex,
  type ElasticsearchSearchIndex,
  type ElasticsearchSearchOptions,
} from './elasticsearch/elasticsearchSearchIndex';
export type { RebuildHooks, RebuildOptions, RebuildReport } from './elasticsearch/rebuild';
export { dropElasticsearchIndex } from './elasticsearch/aliases';
export { searchIndexConfigSpec, searchIndexFromConfig, type SearchIndexConfig } from './fromConfig';
