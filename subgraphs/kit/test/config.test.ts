import { bool, ConfigError, describeConfig, int, loadConfig, oneOf, optional, port, str, url } from '../src';

const spec = {
  PORT: port({ description: 'port to listen on', default: 4001 }),
  SECRET: str({ description: 'shared secret', minLength: 32 }),
  MODE: oneOf(['embedded', 'distributed'] as const, { description: 'run mode', default: 'embedded' }),
  VERBOSE: bool({ description: 'talk more', default: false }),
  UPSTREAM: optional(url({ description: 'where to forward' })),
  RETRIES: int({ description: 'attempts', default: 3, min: 0, max: 10 }),
};

describe('loadConfig', () => {
  it('parses typed values and applies defaults', () => {
    const config = loadConfig(spec, { SECRET: 'x'.repeat(32), VERBOSE: 'yes', UPSTREAM: 'http://127.0.0.1:9000/' });
    expect(config).toEqual({
      PORT: 4001,
      SECRET: 'x'.repeat(32),
      MODE: 'embedded',
      VERBOSE: true,
      UPSTREAM: 'http://127.0.0.1:9000',
      RETRIES: 3,
    });
  });

  it('names every missing or malformed variable in one error', () => {
    let error: unknown;
    try {
      loadConfig(spec, { PORT: '70000', SECRET: 'short', MODE: 'cluster', VERBOSE: 'maybe', UPSTREAM: 'not a url', RETRIES: '2.5' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'PORT must be <= 65535',
      'SECRET must be at least 32 characters',
      'MODE must be one of embedded, distributed',
      'VERBOSE must be true or false',
      'UPSTREAM must be an absolute URL',
      'RETRIES must be an integer',
    ]) {
      expect(problems).toContain(name);
    }
  });

  it('treats an empty variable as unset, so a required one is reported', () => {
    expect(() => loadConfig(spec, { SECRET: '' })).toThrow(/SECRET is required \(shared secret\)/);
  });

  it('describes every variable for the README table', () => {
    expect(describeConfig(spec)).toEqual([
      { name: 'PORT', default: '4001', description: 'port to listen on' },
      { name: 'SECRET', default: '(required)', description: 'shared secret' },
      { name: 'MODE', default: 'embedded', description: 'run mode' },
      { name: 'VERBOSE', default: 'false', description: 'talk more' },
      { name: 'UPSTREAM', default: '(unset)', description: 'where to forward' },
      { name: 'RETRIES', default: '3', description: 'attempts' },
    ]);
  });
});
