import {
  ConfigError,
  int,
  listenConfigSpec,
  loadConfig,
  logLevelConfigSpec,
  signingSecretConfigSpec,
  str,
  type ConfigOf,
} from '@chatgraph/kit';
import { documentStoreConfigSpec } from '@chatgraph/kit/store';
import { eventBusConfigSpec } from '@chatgraph/kit/events';

/**
 * Every environment variable assistant reads, with its parser and description. Exported so the
 * README's configuration table is generated from the same source (`describeConfig`).
 */
export const assistantConfigSpec = {
  ...listenConfigSpec('ASSISTANT', 'assistant', 4003),
  ...documentStoreConfigSpec,
  ...eventBusConfigSpec,
  ...signingSecretConfigSpec(),
  DATA_DIR: str({
    description:
      'Data directory of the embedded adapters (assistant keeps its documents in `<DATA_DIR>/assistant`, its embedded event bus in `<DATA_DIR>/assistant/events` when run on its own)',
    default: '.data',
  }),
  ASSISTANT_MAX_PER_USER: int({
    description: 'Most assistants one user may own at once; `createAssistant` and `duplicateAssistant` beyond it are CONFLICT',
    default: 1000,
    min: 1,
    max: 100_000,
  }),
  ...logLevelConfigSpec,
};

export type AssistantConfig = ConfigOf<typeof assistantConfigSpec>;

/** Parses and validates assistant's configuration; throws a `ConfigError` naming every problem. */
export function loadAssistantConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): AssistantConfig {
  const config = loadConfig(assistantConfigSpec, env);
  // Checks that span two variables, which the per-variable parsers cannot express.
  const problems: string[] = [];
  if (config.DOCUMENT_STORE === 'mongodb' && !config.MONGO_URL) problems.push('MONGO_URL is required when DOCUMENT_STORE=mongodb');
  if (config.EVENT_BUS === 'kafka' && !config.KAFKA_BROKERS) problems.push('KAFKA_BROKERS is required when EVENT_BUS=kafka');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
