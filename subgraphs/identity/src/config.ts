import {
  ConfigError,
  int,
  listenConfigSpec,
  loadConfig,
  logLevelConfigSpec,
  oneOf,
  optional,
  signingSecretConfigSpec,
  str,
  url,
  type ConfigOf,
} from '@chatgraph/kit';
import { documentStoreConfigSpec } from '@chatgraph/kit/store';
import { eventBusConfigSpec } from '@chatgraph/kit/events';
import { kvStoreConfigSpec } from '@chatgraph/kit/kv';
import { MAILER_KINDS, type MailerKind } from '@chatgraph/kit/mail';
import { parseEmail } from './validation';

/**
 * Every environment variable identity reads, with its parser and description. Exported so the
 * README's configuration table is generated from the same source (`describeConfig`).
 */
export const identityConfigSpec = {
  ...listenConfigSpec('IDENTITY', 'identity', 4001),
  ...documentStoreConfigSpec,
  ...kvStoreConfigSpec,
  ...eventBusConfigSpec,
  ...signingSecretConfigSpec(),
  DATA_DIR: str({
    description:
      'Data directory of the embedded adapters (identity keeps its documents in `<DATA_DIR>/identity`, mails in `<DATA_DIR>/identity/mail`)',
    default: '.data',
  }),
  ACCESS_TOKEN_TTL_SECONDS: int({ description: 'Lifetime of an access token (JWT), in seconds', default: 900, min: 30, max: 86_400 }),
  REFRESH_TOKEN_TTL_DAYS: int({
    description: 'Lifetime of a session and its refresh tokens, in days, counted from sign-in',
    default: 30,
    min: 1,
    max: 365,
  }),
  SIGNING_KEY_ROTATION_DAYS: int({
    description: 'Age in days after which the JWT signing key is replaced (the old key stays published until its tokens expire)',
    default: 30,
    min: 1,
    max: 3650,
  }),
  ARGON2_MEMORY_KIB: int({
    description: 'argon2id memory cost in KiB (OWASP recommends at least 19456; lower values are for tests)',
    default: 19_456,
    min: 1024,
    max: 4_194_304,
  }),
  ARGON2_TIME_COST: int({ description: 'argon2id iterations', default: 2, min: 1, max: 20 }),
  ARGON2_PARALLELISM: int({ description: 'argon2id lanes', default: 1, min: 1, max: 16 }),
  ADMIN_EMAIL: optional(
    str({ description: 'Address that becomes ADMIN once it is registered and verified (in addition to the first registered user)' }),
  ),
  NODE_ENV: oneOf(['development', 'test', 'production'] as const, {
    description: 'Runtime environment; `production` requires MAILER to be `smtp` or `log-redacted`',
    default: 'development',
  }),
  MAILER: optional(
    oneOf(MAILER_KINDS, {
      description:
        "`file` writes mails to `<DATA_DIR>/identity/mail/outbox.jsonl` (development only: the file holds live links); `smtp` sends them through SMTP_URL; `log-redacted` sends nothing and logs only recipient and kind. The log never holds a mail's subject, body or link",
      defaultLabel: '(`file`; required when NODE_ENV=production)',
    }),
  ),
  SMTP_URL: optional(url({ description: 'SMTP server for MAILER=smtp, e.g. `smtps://user:pass@smtp.example.com:465`' })),
  MAIL_FROM: str({ description: 'Sender address of account mails', default: 'ChatGraph <no-reply@chatgraph.local>' }),
  PUBLIC_URL: url({ description: 'Public base URL of the client app, used for links in mails', default: 'http://127.0.0.1:4000' }),
  EMAIL_VERIFICATION_TTL_HOURS: int({ description: 'Lifetime of an email verification link, in hours', default: 48, min: 1, max: 720 }),
  PASSWORD_RESET_TTL_MINUTES: int({ description: 'Lifetime of a password reset link, in minutes', default: 60, min: 5, max: 1440 }),
  MAIL_COOLDOWN_SECONDS: int({
    description:
      'Least time between two mails of one kind (verification, password reset) to one address; requests in between are answered as usual and send nothing',
    default: 60,
    min: 0,
    max: 86_400,
  }),
  MAIL_DAILY_LIMIT: int({ description: 'Most mails of one kind to one address per 24 hours', default: 5, min: 1, max: 1000 }),
  REGISTRATION_WINDOW_MINUTES: int({ description: 'Window of the sign-up limits below, in minutes', default: 10, min: 1, max: 10_080 }),
  REGISTRATION_LIMIT: int({
    description:
      "Most sign-ups (each mails a new address) per window across the service; 0 (default) turns the limit off. An emergency brake for operators: any fixed global cap lets one client lock everyone out of sign-up, so per-client limits are the router's",
    default: 0,
    min: 0,
    max: 1_000_000,
  }),
  REGISTRATION_DOMAIN_LIMIT: int({
    description:
      "Most sign-ups per window with addresses at one mail domain; 0 (default) turns the limit off. An emergency brake, like REGISTRATION_LIMIT: on a large public provider it would lock out that provider's users",
    default: 0,
    min: 0,
    max: 1_000_000,
  }),
  ...logLevelConfigSpec,
};

/** The parsed configuration, with the mailer resolved (MAILER's default depends on NODE_ENV). */
export type IdentityConfig = Omit<ConfigOf<typeof identityConfigSpec>, 'MAILER'> & { MAILER: MailerKind };

/** Parses and validates identity's configuration; throws a `ConfigError` naming every problem. */
export function loadIdentityConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): IdentityConfig {
  const config = loadConfig(identityConfigSpec, env);
  // Checks that span two variables, which the per-variable parsers cannot express.
  const problems = [...mailerProblems(config), ...publicUrlProblems(config.PUBLIC_URL)];
  // Normalised as sign-up normalises addresses, so it names the account it is meant to.
  const adminEmail = config.ADMIN_EMAIL === undefined ? undefined : parseEmail(config.ADMIN_EMAIL);
  if (adminEmail === null) problems.push('ADMIN_EMAIL must be a valid email address');
  if (config.DOCUMENT_STORE === 'mongodb' && !config.MONGO_URL) problems.push('MONGO_URL is required when DOCUMENT_STORE=mongodb');
  if (config.KV_STORE === 'redis' && !config.REDIS_URL) problems.push('REDIS_URL is required when KV_STORE=redis');
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...config, ADMIN_EMAIL: adminEmail ?? undefined, MAILER: config.MAILER ?? 'file' };
}

/**
 * A production deployment must choose where mail goes. Defaulting to the file mailer there
 * would keep live password-reset links in a file on the data volume, and nobody would get them.
 */
function mailerProblems(config: Pick<ConfigOf<typeof identityConfigSpec>, 'MAILER' | 'NODE_ENV' | 'SMTP_URL'>): string[] {
  if (config.NODE_ENV === 'production') {
    if (config.MAILER === undefined)
      return ['MAILER is required when NODE_ENV=production: `smtp` (with SMTP_URL) to send mail, or `log-redacted` to send none'];
    if (config.MAILER === 'file')
      return ['MAILER=file is for development (it keeps live links in a file); with NODE_ENV=production use `smtp` or `log-redacted`'];
  }
  if (config.MAILER === 'smtp' && !config.SMTP_URL) return ['SMTP_URL is required when MAILER=smtp'];
  return [];
}

/** Links in mails are built on PUBLIC_URL: it must be a plain http(s) base, nothing a link could smuggle. */
function publicUrlProblems(raw: string): string[] {
  const url = new URL(raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return ['PUBLIC_URL must be an http or https URL'];
  if (url.username || url.password || url.search || url.hash) return ['PUBLIC_URL must not carry credentials, a query or a fragment'];
  return [];
}
