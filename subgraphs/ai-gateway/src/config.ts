import {
  bool,
  ConfigError,
  int,
  listenConfigSpec,
  loadConfig,
  logLevelConfigSpec,
  optional,
  signingSecretConfigSpec,
  str,
  type ConfigOf,
} from '@chatgraph/kit';
import { documentStoreConfigSpec } from '@chatgraph/kit/store';
import { eventBusConfigSpec } from '@chatgraph/kit/events';
import { kvStoreConfigSpec } from '@chatgraph/kit/kv';
import { mcpConfigSpec } from './tools/mcpConfig';
import { searchIndexConfigSpec } from '@chatgraph/kit/search';

/**
 * Every environment variable ai-gateway reads, with its parser and description. Exported so the
 * README's configuration table is generated from the same source (`describeConfig`). The model
 * catalog itself lives in a file (MODEL_CATALOG_FILE, see catalog.ts): it is structured data.
 */
export const aiGatewayConfigSpec = {
  ...listenConfigSpec('AI_GATEWAY', 'ai-gateway', 4006),
  ...documentStoreConfigSpec,
  ...eventBusConfigSpec,
  ...kvStoreConfigSpec,
  ...searchIndexConfigSpec,
  ...signingSecretConfigSpec(),
  DATA_DIR: str({
    description:
      'Data directory of the embedded adapters (ai-gateway keeps its documents in `<DATA_DIR>/ai-gateway`, its embedded event bus in `<DATA_DIR>/ai-gateway/events` when run on its own; `pnpm start` shares one bus for every service in `<DATA_DIR>/events`)',
    default: '.data',
  }),
  MODEL_CATALOG_FILE: optional(
    str({
      description:
        'YAML or JSON model catalog (providers, models, routes, titleModel, embeddingModel); without it only the built-in `local-demo` model exists',
    }),
  ),
  DEMO_TOKEN_INTERVAL_MS: int({
    description: 'Pause between two tokens of the built-in demo model, in ms',
    default: 15,
    min: 0,
    max: 10_000,
  }),
  ATTACHMENT_CONTEXT_PERCENT: int({
    description:
      "Share of a model's context window, in percent, the extracted text of the documents attached to one request may take (cut with a marker beyond it; never more than the history leaves free after 1,024 tokens for the answer)",
    default: 50,
    min: 0,
    max: 90,
  }),
  ATTACHMENT_WAIT_MS: int({
    description:
      "How long a generation waits, in ms, for an attached file ai-gateway's file read model has not heard of yet (its `file.processed` still on the way) before telling the model it is unavailable",
    default: 2_000,
    min: 0,
    max: 60_000,
  }),
  MAX_CONCURRENT_GENERATIONS: int({
    description:
      'Generations one instance runs at once; further requests wait in memory (their documents are leased, so a crash loses none)',
    default: 32,
    min: 1,
    max: 10_000,
  }),
  MAX_RUNNING_GENERATIONS_PER_USER: int({
    description:
      "Generations of one user one instance runs at once; further ones of that user wait while other users' run (the queue serves users round-robin)",
    default: 2,
    min: 1,
    max: 10_000,
  }),
  MAX_QUEUED_GENERATIONS: int({
    description:
      'Generations one instance keeps waiting for a slot; beyond it the consumer waits (backpressure: the requests stay in the bus for this or another instance)',
    default: 1_000,
    min: 1,
    max: 1_000_000,
  }),
  FIRST_TOKEN_TIMEOUT_MS: int({
    description: "Longest wait for a deployment's first token before the attempt counts as failed (retried, then the next deployment)",
    default: 20_000,
    min: 1,
    max: 600_000,
  }),
  IDLE_TIMEOUT_MS: int({
    description: 'Longest gap between two chunks after the first token; longer ends the message FAILED with its partial text',
    default: 30_000,
    min: 1,
    max: 600_000,
  }),
  RETRY_ATTEMPTS: int({ description: 'Attempts per deployment before the first token (1 = no retry)', default: 2, min: 1, max: 10 }),
  RETRY_BASE_DELAY_MS: int({ description: 'First retry delay; doubles per attempt, with full jitter', default: 250, min: 0, max: 60_000 }),
  RETRY_MAX_DELAY_MS: int({ description: 'Longest retry delay', default: 4_000, min: 0, max: 600_000 }),
  CIRCUIT_FAILURE_THRESHOLD: int({ description: "Consecutive failures that open a deployment's circuit", default: 5, min: 1, max: 1000 }),
  CIRCUIT_COOLDOWN_MS: int({
    description: 'How long an open circuit refuses calls before one half-open probe',
    default: 30_000,
    min: 1,
    max: 3_600_000,
  }),
  STREAM_RETENTION_MS: int({
    description: 'How long a finished token stream (and its meta) stays readable',
    default: 600_000,
    min: 1000,
    max: 7 * 24 * 3_600_000,
  }),
  STREAM_MAX_LEN: int({
    description: 'Entries kept per token stream (approximate trim on append)',
    default: 10_000,
    min: 100,
    max: 1_000_000,
  }),
  GENERATION_LEASE_MS: int({
    description: 'Lease of a running generation, renewed by its instance; an expired lease (crashed instance) is failed by the sweep',
    default: 30_000,
    min: 1000,
    max: 3_600_000,
  }),
  GENERATION_HEARTBEAT_MS: int({
    description: 'How often an instance renews the leases of its generations (well under GENERATION_LEASE_MS)',
    default: 5_000,
    min: 100,
    max: 600_000,
  }),
  GENERATION_SWEEP_MS: int({
    description: 'How often an instance looks for generations whose lease expired',
    default: 15_000,
    min: 100,
    max: 3_600_000,
  }),
  GENERATION_RETENTION_MS: int({
    description:
      'How long ended generation documents (and processed request ids) are kept; keep it longer than the Kafka retention of ai.generation.v1',
    default: 30 * 24 * 3_600_000,
    min: 60_000,
    max: 3650 * 24 * 3_600_000,
  }),
  DRAIN_TIMEOUT_MS: int({
    description: 'On shutdown, how long running generations may finish before they are ended FAILED `interrupted`',
    default: 10_000,
    min: 0,
    max: 600_000,
  }),
  ...mcpConfigSpec,
  TOOL_MAX_ROUNDS: int({
    description:
      'Rounds of a tool loop in which the model may call tools; the next round offers none, so the model answers with what it has',
    default: 5,
    min: 1,
    max: 20,
  }),
  TOOL_LOOP_BUDGET_MS: int({
    description:
      'Time budget of a tool loop, in ms from its first provider call: past it no tool runs or is offered, and the model answers (provider rounds have their own timeouts)',
    default: 60_000,
    min: 100,
    max: 600_000,
  }),
  TOOL_CALL_TIMEOUT_MS: int({
    description: 'Longest one tool call may run, in ms (never beyond the loop budget left); the model is then told TOOL_TIMEOUT',
    default: 15_000,
    min: 10,
    max: 600_000,
  }),
  TOOL_RESULT_MAX_CHARS: int({
    description: 'Most characters of a tool result given to the model; a larger one is refused with TOOL_RESULT_TOO_LARGE',
    default: 20_000,
    min: 100,
    max: 1_000_000,
  }),
  FILE_SEARCH_RESULTS: int({ description: 'Passages one `file_search` call returns (its citations)', default: 5, min: 1, max: 20 }),
  FILE_CHUNK_INDEX_NAME: str({
    description:
      "Name of ai-gateway's search index of file chunks for `file_search` (lowercase; fed by `file.chunked`, separate from the search service's index)",
    default: 'chatgraph-ai-gateway-file-chunks',
  }),
  TITLES_ENABLED: bool({ description: 'Generate a conversation title when a request asks for one (`generateTitle`)', default: true }),
  ...logLevelConfigSpec,
};

export type AiGatewayConfig = ConfigOf<typeof aiGatewayConfigSpec>;

/** Parses and validates ai-gateway's configuration; throws a `ConfigError` naming every problem. */
export function loadAiGatewayConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): AiGatewayConfig {
  const config = loadConfig(aiGatewayConfigSpec, env);
  const problems: string[] = [];
  if (config.DOCUMENT_STORE === 'mongodb' && !config.MONGO_URL) problems.push('MONGO_URL is required when DOCUMENT_STORE=mongodb');
  if (config.EVENT_BUS === 'kafka' && !config.KAFKA_BROKERS) problems.push('KAFKA_BROKERS is required when EVENT_BUS=kafka');
  if (config.KV_STORE === 'redis' && !config.REDIS_URL) problems.push('REDIS_URL is required when KV_STORE=redis');
  if (config.SEARCH_ENGINE === 'elasticsearch' && !config.ELASTICSEARCH_URL)
    problems.push('ELASTICSEARCH_URL is required when SEARCH_ENGINE=elasticsearch');
  if (config.GENERATION_HEARTBEAT_MS * 2 > config.GENERATION_LEASE_MS)
    problems.push(
      `GENERATION_HEARTBEAT_MS (${config.GENERATION_HEARTBEAT_MS}) must be at most half of GENERATION_LEASE_MS (${config.GENERATION_LEASE_MS})`,
    );
  if (config.RETRY_MAX_DELAY_MS < config.RETRY_BASE_DELAY_MS)
    problems.push('RETRY_MAX_DELAY_MS must not be smaller than RETRY_BASE_DELAY_MS');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
