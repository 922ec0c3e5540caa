import {
  ConfigError,
  int,
  listenConfigSpec,
  loadConfig,
  logLevelConfigSpec,
  signingSecretConfigSpec,
  str,
  type ConfigOf,
  type VarSpec,
} from '@chatgraph/kit';
import { documentStoreConfigSpec } from '@chatgraph/kit/store';
import { eventBusConfigSpec } from '@chatgraph/kit/events';
import { kvStoreConfigSpec } from '@chatgraph/kit/kv';

/** The largest starting balance (a balance is a GraphQL Int): about $1,000. */
export const MAX_STARTING_CREDITS = 1_000_000_000;

/** A price in US dollars per million tokens, like the catalog's (`3`, `0.15`): 0 to 1,000,000. */
function pricePerMTok(opts: { description: string; default: number }): VarSpec<number> {
  return {
    ...opts,
    parse(raw) {
      const value = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1_000_000)
        throw new Error('must be a price in US dollars per million tokens from 0 to 1000000, e.g. 3 or 0.15');
      return value;
    },
  };
}

/**
 * Every environment variable rate-limit reads, with its parser and description. Exported so the
 * README's configuration table is generated from the same source (`describeConfig`).
 */
export const rateLimitConfigSpec = {
  ...listenConfigSpec('RATE_LIMIT', 'rate-limit', 4009),
  ...documentStoreConfigSpec,
  ...eventBusConfigSpec,
  // The kv the routers share: ADMIN's rate-limit policies and bans, and User.limits, live there.
  ...kvStoreConfigSpec,
  ...signingSecretConfigSpec(),
  DATA_DIR: str({
    description:
      'Data directory of the embedded adapters (rate-limit keeps its documents in `<DATA_DIR>/rate-limit`, its embedded event bus in `<DATA_DIR>/rate-limit/events` when run on its own)',
    default: '.data',
  }),
  STARTING_CREDITS: int({
    description:
      "Credits a new user starts with (1,000 credits = $0.001, as in LibreChat): given when identity's `user.registered` is consumed, or at the first debit or read of a user rate-limit has not seen yet",
    default: 20_000,
    min: 0,
    max: MAX_STARTING_CREDITS,
  }),
  UNPRICED_INPUT_PRICE_PER_MTOK: pricePerMTok({
    description:
      "US dollars per million prompt tokens charged for a model ai-gateway's published catalog gives no input price (or before any catalog was seen); $1 per million tokens = 1 credit per token",
    default: 0,
  }),
  UNPRICED_OUTPUT_PRICE_PER_MTOK: pricePerMTok({
    description: 'US dollars per million completion tokens charged for a model the published catalog gives no output price',
    default: 0,
  }),
  ...logLevelConfigSpec,
};

export type RateLimitConfig = ConfigOf<typeof rateLimitConfigSpec>;

/** Parses and validates rate-limit's configuration; throws a `ConfigError` naming every problem. */
export function loadRateLimitConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): RateLimitConfig {
  const config = loadConfig(rateLimitConfigSpec, env);
  // Checks that span two variables, which the per-variable parsers cannot express.
  const problems: string[] = [];
  if (config.DOCUMENT_STORE === 'mongodb' && !config.MONGO_URL) problems.push('MONGO_URL is required when DOCUMENT_STORE=mongodb');
  if (config.EVENT_BUS === 'kafka' && !config.KAFKA_BROKERS) problems.push('KAFKA_BROKERS is required when EVENT_BUS=kafka');
  if (config.KV_STORE === 'redis' && !config.REDIS_URL) problems.push('REDIS_URL is required when KV_STORE=redis');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
