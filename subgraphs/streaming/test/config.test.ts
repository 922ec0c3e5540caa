import { ConfigError } from '@chatgraph/kit';
import { loadStreamingConfig } from '../src/config';

const SECRET = 'streaming-test-secret-0123456789abcdef';

describe('streaming configuration', () => {
  it('has working defaults: port 4007, embedded kv, a 30 s start wait', () => {
    const config = loadStreamingConfig({ INTERNAL_SIGNING_SECRET: SECRET });
    expect(config).toMatchObject({
      STREAMING_PORT: 4007,
      STREAMING_HOST: '127.0.0.1',
      KV_STORE: 'embedded',
      STREAM_START_WAIT_MS: 30_000,
      STOP_REQUEST_TTL_MS: 600_000,
      SUBSCRIPTION_KEEPALIVE_MS: 12_000,
      LOG_LEVEL: 'info',
    });
  });

  it('names every invalid variable', () => {
    let error: unknown;
    try {
      loadStreamingConfig({ INTERNAL_SIGNING_SECRET: 'short', STREAM_START_WAIT_MS: '0', STREAMING_PORT: 'http', KV_STORE: 'memcached' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = String((error as Error).message);
    for (const name of ['INTERNAL_SIGNING_SECRET', 'STREAM_START_WAIT_MS', 'STREAMING_PORT', 'KV_STORE']) expect(message).toContain(name);
  });

  it('requires REDIS_URL with KV_STORE=redis', () => {
    expect(() => loadStreamingConfig({ INTERNAL_SIGNING_SECRET: SECRET, KV_STORE: 'redis' })).toThrow(/REDIS_URL is required/);
    expect(loadStreamingConfig({ INTERNAL_SIGNING_SECRET: SECRET, KV_STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:6379' }).REDIS_URL).toBe(
      'redis://127.0.0.1:6379',
    );
  });
});
