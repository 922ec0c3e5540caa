import { ConfigError } from '@chatgraph/kit';
import { loadConversationConfig } from '../src/config';

const SECRET = 'a-secret-that-is-long-enough-0123456789';

describe('conversation config', () => {
  it('has working defaults', () => {
    const config = loadConversationConfig({ INTERNAL_SIGNING_SECRET: SECRET });
    expect(config).toMatchObject({
      CONVERSATION_PORT: 4002,
      CONVERSATION_HOST: '127.0.0.1',
      DOCUMENT_STORE: 'embedded',
      EVENT_BUS: 'embedded',
      DEFAULT_MODEL: 'local-demo',
    });
  });

  it('names every missing or inconsistent variable', () => {
    expect(() => loadConversationConfig({})).toThrow(/INTERNAL_SIGNING_SECRET/);
    let error: unknown;
    try {
      loadConversationConfig({ INTERNAL_SIGNING_SECRET: SECRET, DOCUMENT_STORE: 'mongodb', EVENT_BUS: 'kafka' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/MONGO_URL[\s\S]*KAFKA_BROKERS/);
  });
});
