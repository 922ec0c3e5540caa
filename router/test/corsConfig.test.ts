import { ConfigError } from '@chatgraph/kit';
import { loadRouterConfig, routerDepsFromConfig } from '../src';
import { CorsPolicy } from '../src/cors';
import { silentLogger } from './support/logs';

const secret = 'config-test-secret-0123456789abcdef';

function policyFor(env: Record<string, string>): CorsPolicy {
  const deps = routerDepsFromConfig(loadRouterConfig({ INTERNAL_SIGNING_SECRET: secret, ...env }), silentLogger());
  if (!deps.cors) throw new Error('no CORS options');
  return new CorsPolicy(deps.cors);
}

describe('router CORS configuration', () => {
  it('allows localhost and 127.0.0.1 on any port in development and test, and nothing else', () => {
    for (const NODE_ENV of ['development', 'test']) {
      const policy = policyFor({ NODE_ENV });
      for (const origin of ['http://localhost:5173', 'http://127.0.0.1:3000', 'https://localhost:8443', 'http://[::1]:4000'])
        expect(policy.allows(origin)).toBe(true);
      for (const origin of ['http://localhost.evil.com:5173', 'http://evil.com', 'http://127.0.0.1.nip.io:80'])
        expect(policy.allows(origin)).toBe(false);
    }
  });

  it('allows nobody in production until CORS_ORIGINS is set', () => {
    expect(policyFor({ NODE_ENV: 'production' }).allows('http://localhost:5173')).toBe(false);
    const set = policyFor({ NODE_ENV: 'production', CORS_ORIGINS: 'https://chat.example.com, https://*.chat.example.com' });
    expect(set.allows('https://chat.example.com')).toBe(true);
    expect(set.allows('https://beta.chat.example.com')).toBe(true);
    expect(set.allows('https://chat.example.com.evil.com')).toBe(false);
    expect(set.allows('http://chat.example.com')).toBe(false);
    expect(set.allows('http://localhost:5173')).toBe(false);
  });

  it('reads the credentials flag and the preflight max-age', () => {
    const deps = routerDepsFromConfig(
      loadRouterConfig({ INTERNAL_SIGNING_SECRET: secret, CORS_CREDENTIALS: 'true', CORS_MAX_AGE_SECONDS: '60' }),
      silentLogger(),
    );
    expect(deps.cors).toMatchObject({ credentials: true, maxAgeSeconds: 60 });
  });

  it('refuses entries that are not origins', () => {
    for (const CORS_ORIGINS of [
      'chat.example.com',
      'https://chat.example.com/app',
      'ftp://chat.example.com',
      'https://user@chat.example.com',
    ]) {
      expect(() => loadRouterConfig({ INTERNAL_SIGNING_SECRET: secret, CORS_ORIGINS })).toThrow(ConfigError);
    }
  });
});
