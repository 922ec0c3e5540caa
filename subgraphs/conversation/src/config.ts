import { ConfigError, documentStoreConfigSpec, eventBusConfigSpec, int, loadConfig, oneOf, port, str, type ConfigOf } from '@chatgraph/kit';

/**
 * Every environment variable conversation reads, with its parser and description. Exported so the
 * README's configuration table is generated from the same source (`describeConfig`).
 */
export const conversationConfigSpec = {
  CONVERSATION_PORT: port({ description: 'Port the conversation subgraph listens on', default: 4002 }),
  CONVERSATION_HOST: str({ description: 'Interface the conversation subgraph binds to (0.0.0.0 in containers; it still accepts only router-signed requests)', default: '127.0.0.1' }),
  ...documentStoreConfigSpec,
  ...eventBusConfigSpec,
  INTERNAL_SIGNING_SECRET: str({ description: 'HMAC secret shared with the router to sign and verify internal requests (at least 32 characters)', minLength: 32 }),
  DATA_DIR: str({ description: 'Data directory of the embedded adapters (conversation keeps its documents in `<DATA_DIR>/conversation`, its embedded event bus in `<DATA_DIR>/conversation/events`)', default: '.data' }),
  DEFAULT_MODEL: str({ description: 'Model used when neither the message nor the conversation names one', default: 'local-demo' }),
  CONTEXT_TOKEN_BUDGET: int({ description: 'Estimated tokens (~4 characters each) of conversation history sent with a generation request; the system prompt and the newest turns are always kept', default: 8_000, min: 256, max: 2_000_000 }),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, { description: 'Minimum level of log lines', default: 'info' }),
};

export type ConversationConfig = ConfigOf<typeof conversationConfigSpec>;

/** Parses and validates conversation's configuration; throws a `ConfigError` naming every problem. */
export function loadConversationConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): ConversationConfig {
  const config = loadConfig(conversationConfigSpec, env);
  // Checks that span two variables, which the per-variable parsers cannot express.
  const problems: string[] = [];
  if (config.DOCUMENT_STORE === 'mongodb' && !config.MONGO_URL) problems.push('MONGO_URL is required when DOCUMENT_STORE=mongodb');
  if (config.EVENT_BUS === 'kafka' && !config.KAFKA_BROKERS) problems.push('KAFKA_BROKERS is required when EVENT_BUS=kafka');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
