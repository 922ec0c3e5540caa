import {
  bool,
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

/** Largest context window accepted in `MODEL_CONTEXT_WINDOWS` (tokens). */
const MAX_CONTEXT_WINDOW = 10_000_000;

/**
 * `MODEL_CONTEXT_WINDOWS`: a JSON object `{ "<model>": <tokens> }`. Each key is a model name of 1 to
 * 200 characters, each value an integer from 256 to 10,000,000; anything else stops start-up.
 */
export function modelContextWindows(opts: { description: string; default: Record<string, number> }): VarSpec<Record<string, number>> {
  return {
    ...opts,
    defaultLabel: JSON.stringify(opts.default),
    parse(raw) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new Error('must be a JSON object mapping model names to context window sizes in tokens, e.g. {"local-demo": 8192}');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('must be a JSON object mapping model names to context window sizes in tokens, e.g. {"local-demo": 8192}');
      const windows: Array<[string, number]> = [];
      for (const [model, tokens] of Object.entries(parsed)) {
        if (model.trim().length === 0 || model.length > 200)
          throw new Error(`has an invalid model name ${JSON.stringify(model)} (1 to 200 characters)`);
        if (typeof tokens !== 'number' || !Number.isInteger(tokens) || tokens < 256 || tokens > MAX_CONTEXT_WINDOW) {
          throw new Error(
            `has an invalid window for ${JSON.stringify(model)}: ${JSON.stringify(tokens)} (an integer from 256 to ${MAX_CONTEXT_WINDOW} tokens)`,
          );
        }
        windows.push([model.trim(), tokens]);
      }
      // fromEntries defines own properties, so even a model named `__proto__` is kept as a key.
      return Object.fromEntries(windows);
    },
  };
}

/**
 * Every environment variable conversation reads, with its parser and description. Exported so the
 * README's configuration table is generated from the same source (`describeConfig`).
 */
export const conversationConfigSpec = {
  ...listenConfigSpec('CONVERSATION', 'conversation', 4002),
  ...documentStoreConfigSpec,
  ...eventBusConfigSpec,
  ...kvStoreConfigSpec,
  ...signingSecretConfigSpec(),
  DATA_DIR: str({
    description:
      'Data directory of the embedded adapters (conversation keeps its documents in `<DATA_DIR>/conversation`, its embedded event bus in `<DATA_DIR>/conversation/events` when run on its own; `pnpm start` shares one bus for every service in `<DATA_DIR>/events`)',
    default: '.data',
  }),
  DEFAULT_MODEL: str({ description: 'Model used when neither the message nor the conversation names one', default: 'local-demo' }),
  CONTEXT_TOKEN_BUDGET: int({
    description:
      'Estimated tokens (~4 characters each) of conversation history sent with a generation request; the system prompt and the newest turns are always kept',
    default: 8_000,
    min: 256,
    max: 2_000_000,
  }),
  MODEL_CONTEXT_WINDOWS: modelContextWindows({
    description:
      'JSON object mapping a model name to its context window in tokens; a known model gets its window minus CONTEXT_REPLY_RESERVE_TOKENS of history, others CONTEXT_TOKEN_BUDGET (to be replaced by the ai-gateway model catalog)',
    default: { 'local-demo': 8192 },
  }),
  CONTEXT_REPLY_RESERVE_TOKENS: int({
    description:
      "Tokens of a known model's context window (MODEL_CONTEXT_WINDOWS) kept free for the answer; must be smaller than every window",
    default: 1024,
    min: 0,
    max: 1_000_000,
  }),
  OUTCOME_MARKER_TTL_MS: int({
    description:
      "Expiry of the marker conversation writes to the shared key-value store once it has applied a generation's outcome; streaming releases the final `messageStream` chunk when it sees it. Keep it at least ai-gateway's STREAM_RETENTION_MS, so a late resume finds it",
    default: 600_000,
    min: 1_000,
    max: 7 * 24 * 3_600_000,
  }),
  MAX_OPEN_GENERATIONS_PER_USER: int({
    description:
      'Answers one user may have PENDING or STREAMING at once; a further sendMessage, editMessage or regenerateMessage is refused RATE_LIMITED (reason TOO_MANY_OPEN_GENERATIONS) before anything is written',
    default: 3,
    min: 1,
    max: 1000,
  }),
  MAX_PENDING_GENERATIONS: int({
    description:
      'Answers waiting for ai-gateway to start them beyond which every new turn is refused UNAVAILABLE (reason GENERATION_BACKLOG, retryable); counted at most once a second',
    default: 1000,
    min: 1,
    max: 10_000_000,
  }),
  OPEN_GENERATION_STALE_MS: int({
    description:
      "An answer PENDING or STREAMING for longer than this (since its last update) no longer counts against its user's cap nor in the backlog (ai-gateway down: nobody is working on it)",
    default: 600_000,
    min: 1000,
    max: 7 * 24 * 3_600_000,
  }),
  BALANCE_ENFORCED: bool({
    description:
      "Refuse sendMessage, editMessage and regenerateMessage with PAYMENT_REQUIRED while the user's credit balance (rate-limit's `ratelimit.balance.v1`, kept in a read model) is at or below zero. Off by default (the one-command embedded start and `pnpm start:distributed` leave it off unless set); on in docker-compose",
    default: false,
  }),
  ...logLevelConfigSpec,
};

export type ConversationConfig = ConfigOf<typeof conversationConfigSpec>;

/** Parses and validates conversation's configuration; throws a `ConfigError` naming every problem. */
export function loadConversationConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): ConversationConfig {
  const config = loadConfig(conversationConfigSpec, env);
  // Checks that span two variables, which the per-variable parsers cannot express.
  const problems: string[] = [];
  if (config.DOCUMENT_STORE === 'mongodb' && !config.MONGO_URL) problems.push('MONGO_URL is required when DOCUMENT_STORE=mongodb');
  if (config.EVENT_BUS === 'kafka' && !config.KAFKA_BROKERS) problems.push('KAFKA_BROKERS is required when EVENT_BUS=kafka');
  if (config.KV_STORE === 'redis' && !config.REDIS_URL) problems.push('REDIS_URL is required when KV_STORE=redis');
  for (const [model, tokens] of Object.entries(config.MODEL_CONTEXT_WINDOWS)) {
    if (tokens - config.CONTEXT_REPLY_RESERVE_TOKENS < 256)
      problems.push(
        `MODEL_CONTEXT_WINDOWS gives ${JSON.stringify(model)} ${tokens} tokens, which leaves less than 256 tokens of history after CONTEXT_REPLY_RESERVE_TOKENS=${config.CONTEXT_REPLY_RESERVE_TOKENS}`,
      );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
