import { optional, port, str, type ConfigOf, logLevelConfigSpec } from '@chatgraph/kit';
import { eventBusConfigSpec } from '@chatgraph/kit/events';

/**
 * What `pnpm start` (every service in one process) reads. Service-specific variables
 * (ACCESS_TOKEN_TTL_SECONDS, MAX_DEPTH, ...) are passed through to each service's own spec.
 */
export const EMBEDDED_CONFIG_SPEC = {
  ROUTER_PORT: port({ description: 'Port of the router, the one URL clients use', default: 4000 }),
  ROUTER_HOST: str({
    description: 'Interface the router binds to (subgraphs always bind 127.0.0.1 in embedded mode)',
    default: '127.0.0.1',
  }),
  DATA_DIR: str({
    description:
      'Where embedded adapters keep data: one folder per service (`<DATA_DIR>/identity`, …) and the event bus they share in `<DATA_DIR>/events`',
    default: '.data',
  }),
  INTERNAL_SIGNING_SECRET: optional(
    str({
      description:
        'Router<->subgraph HMAC secret (>= 32 characters). Embedded mode generates one per start when unset, as nothing outside the process needs it',
      minLength: 32,
    }),
  ),
  // The shared event log's retention (the one-process launcher creates that bus itself).
  EVENT_RETENTION_MS: eventBusConfigSpec.EVENT_RETENTION_MS,
  EVENT_RETENTION_MIN_RECORDS: eventBusConfigSpec.EVENT_RETENTION_MIN_RECORDS,
  ...logLevelConfigSpec,
};

export type EmbeddedConfig = ConfigOf<typeof EMBEDDED_CONFIG_SPEC>;
