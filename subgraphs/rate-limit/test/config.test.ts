import { ConfigError } from '@chatgraph/kit';
import { loadRateLimitConfig } from '../src/config';

const base = { INTERNAL_SIGNING_SECRET: 'rate-limit-test-secret-0123456789abcdef' };

describe('rate-limit configuration', () => {
  it('starts users with 20,000 credits and charges unpriced models nothing by default', () => {
    const config = loadRateLimitConfig(base);
    expect(config.STARTING_CREDITS).toBe(20_000);
    expect(config.UNPRICED_INPUT_PRICE_PER_MTOK).toBe(0);
    expect(config.RATE_LIMIT_PORT).toBe(4009);
  });

  it('parses prices in dollars per million tokens, fractions included', () => {
    expect(loadRateLimitConfig({ ...base, UNPRICED_OUTPUT_PRICE_PER_MTOK: '0.15' }).UNPRICED_OUTPUT_PRICE_PER_MTOK).toBe(0.15);
  });

  it('names every bad variable', () => {
    const load = () =>
      loadRateLimitConfig({ ...base, STARTING_CREDITS: '-1', UNPRICED_INPUT_PRICE_PER_MTOK: 'cheap', DOCUMENT_STORE: 'mongodb' });
    expect(load).toThrow(ConfigError);
    try {
      load();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('STARTING_CREDITS');
      expect(message).toContain('UNPRICED_INPUT_PRICE_PER_MTOK');
    }
    expect(() => loadRateLimitConfig({ ...base, DOCUMENT_STORE: 'mongodb' })).toThrow(/MONGO_URL is required/);
  });
});
