import {
  ConfigError,
  int,
  oneOf,
  optional,
  url,
  listenConfigSpec,
  loadConfig,
  logLevelConfigSpec,
  signingSecretConfigSpec,
  str,
  type ConfigOf,
} from '@chatgraph/kit';
import { documentStoreConfigSpec } from '@chatgraph/kit/store';
import { eventBusConfigSpec } from '@chatgraph/kit/events';
import { kvStoreConfigSpec } from '@chatgraph/kit/kv';
import { MAILER_KINDS } from '@chatgraph/kit/mail';

/**
 * Every environment variable notification reads, with its parser and description. Exported so the
 * README's configuration table is generated from the same source (`describeConfig`).
 */
export const notificationConfigSpec = {
  ...listenConfigSpec('NOTIFICATION', 'notification', 4008),
  ...documentStoreConfigSpec,
  ...eventBusConfigSpec,
  // The kv every notification instance shares: new notifications fan out to open subscriptions on it.
  ...kvStoreConfigSpec,
  ...signingSecretConfigSpec(),
  DATA_DIR: str({
    description:
      'Data directory of the embedded adapters (notification keeps its documents in `<DATA_DIR>/notification`, its embedded event bus in `<DATA_DIR>/notification/events` when run on its own)',
    default: '.data',
  }),
  NOTIFICATION_RETENTION_DAYS: int({
    description: 'Days a notification is kept, read or not; older ones are deleted by an hourly sweep',
    default: 90,
    min: 1,
    max: 3650,
  }),
  NOTIFICATION_LOW_CREDITS_THRESHOLD: int({
    description:
      'A credit balance below this is low: LOW_CREDITS is created once each time a balance falls below it (again only after a grant lifts it back)',
    default: 2000,
    min: 1,
    max: 1_000_000_000,
  }),
  MAILER: oneOf(MAILER_KINDS, {
    description:
      '`file` writes e-mail notifications to `<DATA_DIR>/notification/mail/outbox.jsonl` (development); `smtp` sends them through SMTP_URL (production); `log-redacted` sends none and logs only recipient and kind',
    default: 'file',
  }),
  SMTP_URL: optional(url({ description: 'SMTP server for MAILER=smtp, e.g. `smtps://user:pass@smtp.example.com:465`' })),
  MAIL_FROM: str({ description: 'Sender address of e-mail notifications', default: 'ChatGraph <no-reply@chatgraph.local>' }),
  ...logLevelConfigSpec,
};

export type NotificationConfig = ConfigOf<typeof notificationConfigSpec>;

/** Parses and validates notification's configuration; throws a `ConfigError` naming every problem. */
export function loadNotificationConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): NotificationConfig {
  const config = loadConfig(notificationConfigSpec, env);
  // Checks that span two variables, which the per-variable parsers cannot express.
  const problems: string[] = [];
  if (config.DOCUMENT_STORE === 'mongodb' && !config.MONGO_URL) problems.push('MONGO_URL is required when DOCUMENT_STORE=mongodb');
  if (config.EVENT_BUS === 'kafka' && !config.KAFKA_BROKERS) problems.push('KAFKA_BROKERS is required when EVENT_BUS=kafka');
  if (config.KV_STORE === 'redis' && !config.REDIS_URL) problems.push('REDIS_URL is required when KV_STORE=redis');
  if (config.MAILER === 'smtp' && !config.SMTP_URL) problems.push('SMTP_URL is required when MAILER=smtp');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
