import { describeConfig, ConfigError, listenConfigSpec, loadConfig, logLevelConfigSpec, signingSecretConfigSpec } from '../src/core';

describe('the configuration every service shares', () => {
  const spec = { ...listenConfigSpec('FILE', 'file', 4003), ...signingSecretConfigSpec(), ...logLevelConfigSpec };

  it('gives a service its port, host, secret and log level, in that order, with their defaults', () => {
    expect(describeConfig(spec).map((row) => [row.name, row.default])).toEqual([
      ['FILE_PORT', '4003'],
      ['FILE_HOST', '127.0.0.1'],
      ['INTERNAL_SIGNING_SECRET', '(required)'],
      ['LOG_LEVEL', 'info'],
    ]);
    const config = loadConfig(spec, { INTERNAL_SIGNING_SECRET: 'x'.repeat(32), FILE_PORT: '5003' });
    expect(config).toEqual({ FILE_PORT: 5003, FILE_HOST: '127.0.0.1', INTERNAL_SIGNING_SECRET: 'x'.repeat(32), LOG_LEVEL: 'info' });
  });

  it('refuses what each variable refuses: a short secret, a bad port, an unknown level', () => {
    expect(() => loadConfig(spec, { INTERNAL_SIGNING_SECRET: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig(spec, { INTERNAL_SIGNING_SECRET: 'x'.repeat(32), FILE_PORT: '70000' })).toThrow(ConfigError);
    expect(() => loadConfig(spec, { INTERNAL_SIGNING_SECRET: 'x'.repeat(32), LOG_LEVEL: 'loud' })).toThrow(ConfigError);
  });

  it('says what else a service accepts and serves where it differs', () => {
    const [port, host] = describeConfig(
      listenConfigSpec('STREAMING', 'streaming', 4007, { port: '(HTTP and graphql-ws)', accepts: 'signed connections' }),
    );
    expect(port?.description).toBe('Port the streaming subgraph listens on (HTTP and graphql-ws)');
    expect(host?.description).toContain('it still accepts only signed connections');
  });
});
