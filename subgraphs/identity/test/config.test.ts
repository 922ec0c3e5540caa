import { ConfigError } from '@chatgraph/kit';
import { loadIdentityConfig } from '../src/config';

const SECRET = 'x'.repeat(32);

describe('identity configuration', () => {
  it('has documented defaults for everything but the signing secret', () => {
    const config = loadIdentityConfig({ INTERNAL_SIGNING_SECRET: SECRET });
    expect(config).toMatchObject({
      IDENTITY_PORT: 4001,
      DATA_DIR: '.data',
      ACCESS_TOKEN_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_DAYS: 30,
      ARGON2_MEMORY_KIB: 19456,
      ARGON2_TIME_COST: 2,
      ARGON2_PARALLELISM: 1,
      MAILER: 'file',
      PUBLIC_URL: 'http://127.0.0.1:4000',
      EMAIL_VERIFICATION_TTL_HOURS: 48,
      PASSWORD_RESET_TTL_MINUTES: 60,
      MAIL_COOLDOWN_SECONDS: 60,
      MAIL_DAILY_LIMIT: 5,
      REGISTRATION_WINDOW_MINUTES: 10,
      REGISTRATION_LIMIT: 0,
      REGISTRATION_DOMAIN_LIMIT: 0,
    });
    expect(config.ADMIN_EMAIL).toBeUndefined();
  });

  it('fails fast naming every bad variable', () => {
    const attempt = () => loadIdentityConfig({ INTERNAL_SIGNING_SECRET: 'short', ACCESS_TOKEN_TTL_SECONDS: 'soon', MAILER: 'pigeon' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/INTERNAL_SIGNING_SECRET must be at least 32 characters/);
    expect(attempt).toThrow(/ACCESS_TOKEN_TTL_SECONDS must be an integer/);
    expect(attempt).toThrow(/MAILER must be one of file, smtp/);
    expect(() => loadIdentityConfig({})).toThrow(/INTERNAL_SIGNING_SECRET is required/);
  });

  it('needs SMTP_URL when MAILER=smtp', () => {
    expect(() => loadIdentityConfig({ INTERNAL_SIGNING_SECRET: SECRET, MAILER: 'smtp' })).toThrow(/SMTP_URL is required when MAILER=smtp/);
    expect(loadIdentityConfig({ INTERNAL_SIGNING_SECRET: SECRET, MAILER: 'smtp', SMTP_URL: 'smtp://127.0.0.1:25' }).SMTP_URL).toBe(
      'smtp://127.0.0.1:25',
    );
  });

  it('refuses to start in production without an explicit mailer, or with the file mailer', () => {
    const production = { INTERNAL_SIGNING_SECRET: SECRET, NODE_ENV: 'production' };
    expect(() => loadIdentityConfig(production)).toThrow(
      /MAILER is required when NODE_ENV=production: `smtp` \(with SMTP_URL\) to send mail, or `log-redacted`/,
    );
    expect(() => loadIdentityConfig({ ...production, MAILER: 'file' })).toThrow(/MAILER=file is for development/);
    expect(() => loadIdentityConfig({ ...production, MAILER: 'smtp' })).toThrow(/SMTP_URL is required/);
    expect(loadIdentityConfig({ ...production, MAILER: 'log-redacted' }).MAILER).toBe('log-redacted');
    expect(loadIdentityConfig({ ...production, MAILER: 'smtp', SMTP_URL: 'smtp://mail:25' }).MAILER).toBe('smtp');
  });

  it('needs PUBLIC_URL to be a plain http(s) base and ADMIN_EMAIL a valid address', () => {
    const base = { INTERNAL_SIGNING_SECRET: SECRET };
    expect(() => loadIdentityConfig({ ...base, PUBLIC_URL: 'javascript:alert(1)' })).toThrow(/PUBLIC_URL must be an http or https URL/);
    expect(() => loadIdentityConfig({ ...base, PUBLIC_URL: 'https://app.example.com/?next=https://evil.example' })).toThrow(
      /must not carry credentials, a query or a fragment/,
    );
    expect(() => loadIdentityConfig({ ...base, PUBLIC_URL: 'https://user:pw@app.example.com' })).toThrow(/must not carry credentials/);
    expect(loadIdentityConfig({ ...base, PUBLIC_URL: 'https://app.example.com/chat/' }).PUBLIC_URL).toBe('https://app.example.com/chat');
    expect(() => loadIdentityConfig({ ...base, ADMIN_EMAIL: 'admin\u0000@example.com' })).toThrow(
      /ADMIN_EMAIL must be a valid email address/,
    );
    expect(loadIdentityConfig({ ...base, ADMIN_EMAIL: ' Jose\u0301@Example.COM ' }).ADMIN_EMAIL).toBe('josé@example.com');
  });
});
