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
import { eventBusConfigSpec } from '@chatgraph/kit/events';
import { kvStoreConfigSpec } from '@chatgraph/kit/kv';
import { DEFAULT_FINAL_CHUNK_WAIT_MS } from './outcomeApplied';

/**
 * Every environment variable streaming reads, with its parser and description. Exported so the
 * README's configuration table is generated from the same source (`describeConfig`).
 */
export const streamingConfigSpec = {
  ...listenConfigSpec('STREAMING', 'streaming', 4007, {
    port: '(HTTP and graphql-ws on `/graphql`)',
    accepts: 'router-signed requests and connections',
  }),
  ...kvStoreConfigSpec,
  // Where `streaming.stream.v1` goes, and `ai.generation.v1` outcomes come from (streamEnds.ts).
  ...eventBusConfigSpec,
  ...signingSecretConfigSpec('internal requests and subscription connections'),
  DATA_DIR: str({
    description: 'Data directory of the embedded event bus when streaming runs on its own (`<DATA_DIR>/streaming/events`)',
    default: '.data',
  }),
  STREAM_START_WAIT_MS: int({
    description:
      'How long `messageStream` waits for a generation conversation recorded as requested, with no stream yet, to start before answering NOT_FOUND (reason NOT_STARTED); unknown, finished and expired ids answer at once',
    default: 30_000,
    min: 1,
    max: 600_000,
  }),
  FINAL_CHUNK_WAIT_MS: int({
    description:
      "Longest hold of a stream's `done` chunk until conversation has marked the outcome applied (so the `message` hydrated on it is the finished one). Normally the marker comes within milliseconds; the bound is what a Kafka, document-store or conversation outage may take, which the chunk waits out. After it the chunk goes out anyway, counted in `streaming_final_chunk_wait_expired_total`. 0 disables the hold",
    default: DEFAULT_FINAL_CHUNK_WAIT_MS,
    min: 0,
    max: 600_000,
  }),
  STOP_REQUEST_TTL_MS: int({
    description: 'How long the stop flag of `stopGeneration` is kept, so a generation that starts (or looks) later still stops',
    default: 600_000,
    min: 1_000,
    max: 86_400_000,
  }),
  SUBSCRIPTION_KEEPALIVE_MS: int({
    description: 'Interval of graphql-ws pings to the router, which find dead connections (their followers end)',
    default: 12_000,
    min: 1_000,
    max: 300_000,
  }),
  ...logLevelConfigSpec,
};

export type StreamingConfig = ConfigOf<typeof streamingConfigSpec>;

/** Parses and validates streaming's configuration; throws a `ConfigError` naming every problem. */
export function loadStreamingConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): StreamingConfig {
  const config = loadConfig(streamingConfigSpec, env);
  const problems: string[] = [];
  if (config.KV_STORE === 'redis' && !config.REDIS_URL) problems.push('REDIS_URL is required when KV_STORE=redis');
  if (config.EVENT_BUS === 'kafka' && !config.KAFKA_BROKERS) problems.push('KAFKA_BROKERS is required when EVENT_BUS=kafka');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
