import { ConfigError, listenConfigSpec, loadConfig, logLevelConfigSpec, signingSecretConfigSpec, str, type ConfigOf } from '@chatgraph/kit';
import { eventBusConfigSpec } from '@chatgraph/kit/events';
import { searchIndexConfigSpec } from '@chatgraph/kit/search';
import { embeddingConfigProblems, embeddingConfigSpec } from './embeddingConfig';

/**
 * Every environment variable search reads, with its parser and description. Exported so the
 * README's configuration table is generated from the same source (`describeConfig`).
 */
export const searchConfigSpec = {
  ...listenConfigSpec('SEARCH', 'search', 4005),
  ...eventBusConfigSpec,
  ...searchIndexConfigSpec,
  SEARCH_INDEX_NAME: str({
    description:
      'Name of the index holding the searchable documents; lowercase. On Elasticsearch the prefix of one alias per document kind (`<name>-message`, `<name>-conversation`, `<name>-file`; the index behind each is `<name>-<kind>-000001`, the next after each rebuild)',
    default: 'chatgraph-search',
  }),
  ...embeddingConfigSpec,
  ...signingSecretConfigSpec(),
  DATA_DIR: str({
    description:
      'Data directory of the embedded adapters (search keeps its embedded index (journal and snapshot) in `<DATA_DIR>/search`, keeps its embedded event bus in `<DATA_DIR>/search/events` when run on its own)',
    default: '.data',
  }),
  ...logLevelConfigSpec,
};

export type SearchConfig = ConfigOf<typeof searchConfigSpec>;

/** Parses and validates search's configuration; throws a `ConfigError` naming every problem. */
export function loadSearchConfig(
  env: NodeJS.ProcessEnv | Record<string, string | undefined>,
  options: { oneProcess?: boolean } = {},
): SearchConfig {
  const config = loadConfig(searchConfigSpec, env);
  const problems: string[] = [];
  if (config.EVENT_BUS === 'kafka' && !config.KAFKA_BROKERS) problems.push('KAFKA_BROKERS is required when EVENT_BUS=kafka');
  if (config.SEARCH_ENGINE === 'elasticsearch' && !config.ELASTICSEARCH_URL)
    problems.push('ELASTICSEARCH_URL is required when SEARCH_ENGINE=elasticsearch');
  problems.push(...embeddingConfigProblems(config, options.oneProcess));
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(config.SEARCH_INDEX_NAME)) problems.push('SEARCH_INDEX_NAME must be lowercase letters, digits, - or _');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
