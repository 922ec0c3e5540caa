import { oneOf, optional, str } from '../config';
import type { AdapterLogger } from '../adapterLogger';
import { createElasticsearchIndex } from './elasticsearch/elasticsearchSearchIndex';
import { createEmbeddedSearchIndex } from './embedded/embeddedSearchIndex';
import type { SearchIndex, SearchIndexDefinition } from './port';

/**
 * Which search-index adapter a service runs on, chosen by configuration: spread into a service's
 * config spec so every service using the port documents the same variables.
 */
export const searchIndexConfigSpec = {
  SEARCH_ENGINE: oneOf(['embedded', 'elasticsearch'] as const, {
    description:
      '`embedded`: the in-process engine, journalled (fsynced per write) and snapshotted under DATA_DIR (one process only); `elasticsearch`: Elasticsearch at ELASTICSEARCH_URL',
    default: 'embedded',
  }),
  ELASTICSEARCH_URL: optional(
    str({ description: 'Elasticsearch base URL for SEARCH_ENGINE=elasticsearch, e.g. `http://elasticsearch:9200`' }),
  ),
};

export interface SearchIndexConfig {
  SEARCH_ENGINE: 'embedded' | 'elasticsearch';
  ELASTICSEARCH_URL: string | undefined;
}

/** Creates (does not start) the configured search index; `dataDir` keeps the embedded engine's journal and snapshot. */
export function searchIndexFromConfig(
  config: SearchIndexConfig,
  definition: SearchIndexDefinition,
  options: { dataDir?: string; logger: AdapterLogger },
): SearchIndex {
  if (config.SEARCH_ENGINE === 'elasticsearch') {
    if (!config.ELASTICSEARCH_URL) throw new Error('SEARCH_ENGINE=elasticsearch needs ELASTICSEARCH_URL');
    return createElasticsearchIndex({ node: config.ELASTICSEARCH_URL, index: definition, logger: options.logger });
  }
  return createEmbeddedSearchIndex({ definition, dataDir: options.dataDir, logger: options.logger });
}
