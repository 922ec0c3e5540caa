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
    expect(loadIdentityConfig({ INTERNAL_SIGNING_SECRET: SECRET, MAILER: 'smtp', SMTP_URL: 'smtp://127.0.0.1:25' }).SMTP_URL).toBe('smtp://127.0.0.1:25');
  });
});
