import { ConfigError, documentStoreConfigSpec, eventBusConfigSpec, int, kvStoreConfigSpec, loadConfig, oneOf, optional, port, str, url, type ConfigOf } from '@chatgraph/kit';

/**
 * Every environment variable identity reads, with its parser and description. Exported so the
 * README's configuration table is generated from the same source (`describeConfig`).
 */
export const identityConfigSpec = {
  IDENTITY_PORT: port({ description: 'Port the identity subgraph listens on', default: 4001 }),
  IDENTITY_HOST: str({ description: 'Interface the identity subgraph binds to (0.0.0.0 in containers; it still accepts only router-signed requests)', default: '127.0.0.1' }),
  ...documentStoreConfigSpec,
  ...kvStoreConfigSpec,
  ...eventBusConfigSpec,
  INTERNAL_SIGNING_SECRET: str({ description: 'HMAC secret shared with the router to sign and verify internal requests (at least 32 characters)', minLength: 32 }),
  DATA_DIR: str({ description: 'Data directory of the embedded adapters (identity keeps its documents in `<DATA_DIR>/identity`, mails in `<DATA_DIR>/identity/mail`)', default: '.data' }),
  ACCESS_TOKEN_TTL_SECONDS: int({ description: 'Lifetime of an access token (JWT), in seconds', default: 900, min: 30, max: 86_400 }),
  REFRESH_TOKEN_TTL_DAYS: int({ description: 'Lifetime of a session and its refresh tokens, in days, counted from sign-in', default: 30, min: 1, max: 365 }),
  SIGNING_KEY_ROTATION_DAYS: int({ description: 'Age in days after which the JWT signing key is replaced (the old key stays published until its tokens expire)', default: 30, min: 1, max: 3650 }),
  ARGON2_MEMORY_KIB: int({ description: 'argon2id memory cost in KiB (OWASP recommends at least 19456; lower values are for tests)', default: 19_456, min: 1024, max: 4_194_304 }),
  ARGON2_TIME_COST: int({ description: 'argon2id iterations', default: 2, min: 1, max: 20 }),
  ARGON2_PARALLELISM: int({ description: 'argon2id lanes', default: 1, min: 1, max: 16 }),
  ADMIN_EMAIL: optional(str({ description: 'Address that becomes ADMIN once it is registered and verified (in addition to the first registered user)' })),
  MAILER: oneOf(['file', 'smtp'] as const, { description: '`file` writes mails to the log and `<DATA_DIR>/identity/mail/outbox.jsonl`; `smtp` sends them through SMTP_URL', default: 'file' }),
  SMTP_URL: optional(url({ description: 'SMTP server for MAILER=smtp, e.g. `smtps://user:pass@smtp.example.com:465`' })),
  MAIL_FROM: str({ description: 'Sender address of account mails', default: 'ChatGraph <no-reply@chatgraph.local>' }),
  PUBLIC_URL: url({ description: 'Public base URL of the client app, used for links in mails', default: 'http://127.0.0.1:4000' }),
  EMAIL_VERIFICATION_TTL_HOURS: int({ description: 'Lifetime of an email verification link, in hours', default: 48, min: 1, max: 720 }),
  PASSWORD_RESET_TTL_MINUTES: int({ description: 'Lifetime of a password reset link, in minutes', default: 60, min: 5, max: 1440 }),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, { description: 'Minimum level of log lines', default: 'info' }),
};

export type IdentityConfig = ConfigOf<typeof identityConfigSpec>;

/** Parses and validates identity's configuration; throws a `ConfigError` naming every problem. */
export function loadIdentityConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): IdentityConfig {
  const config = loadConfig(identityConfigSpec, env);
  // Checks that span two variables, which the per-variable parsers cannot express.
  if (config.MAILER === 'smtp' && !config.SMTP_URL) throw new ConfigError(['SMTP_URL is required when MAILER=smtp']);
  if (config.DOCUMENT_STORE === 'mongodb' && !config.MONGO_URL) throw new ConfigError(['MONGO_URL is required when DOCUMENT_STORE=mongodb']);
  if (config.KV_STORE === 'redis' && !config.REDIS_URL) throw new ConfigError(['REDIS_URL is required when KV_STORE=redis']);
  return config;
}
