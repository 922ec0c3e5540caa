import { ConfigError } from '@chatgraph/kit';
import { introspectionEnabled, loadRouterConfig, parseSubgraphList, routerDepsFromConfig } from '../src';
import { silentLogger } from './support/logs';

const SECRET = 'x'.repeat(32);

describe('router configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadRouterConfig({ INTERNAL_SIGNING_SECRET: SECRET });
    expect(config).toMatchObject({
      ROUTER_PORT: 4000,
      ROUTER_HOST: '127.0.0.1',
      SUPERGRAPH_PATH: 'schema/supergraph.graphql',
      MAX_BODY_BYTES: 1_048_576,
      MAX_DEPTH: 12,
      MAX_ALIASES: 30,
      MAX_ROOT_FIELDS: 20,
      API_KEY_CACHE_MS: 5000,
      NODE_ENV: 'development',
    });
    expect(config.SUBGRAPH_URLS).toBeUndefined();
    expect(routerDepsFromConfig(config, silentLogger()).supergraph).toEqual({
      kind: 'file',
      path: 'schema/supergraph.graphql',
      pollMs: 2000,
    });
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadRouterConfig({ INTERNAL_SIGNING_SECRET: 'short', MAX_DEPTH: 'deep', SUBGRAPH_URLS: 'identity' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/INTERNAL_SIGNING_SECRET must be at least 32 characters/);
    expect(problems).toMatch(/MAX_DEPTH must be an integer/);
    expect(problems).toMatch(/SUBGRAPH_URLS/);
  });

  it('parses SUBGRAPH_URLS into composed mode', () => {
    expect(parseSubgraphList('identity=http://127.0.0.1:4001/graphql, profiles=http://p:4002/graphql')).toEqual([
      { name: 'identity', url: 'http://127.0.0.1:4001/graphql' },
      { name: 'profiles', url: 'http://p:4002/graphql' },
    ]);
    expect(() => parseSubgraphList('a=http://x/graphql,a=http://y/graphql')).toThrow(/twice/);
    expect(() => parseSubgraphList('a=not a url')).toThrow(/absolute URL/);
    const config = loadRouterConfig({ INTERNAL_SIGNING_SECRET: SECRET, SUBGRAPH_URLS: 'identity=http://127.0.0.1:4001/graphql' });
    expect(routerDepsFromConfig(config, silentLogger()).supergraph).toEqual({
      kind: 'composed',
      subgraphs: [{ name: 'identity', url: 'http://127.0.0.1:4001/graphql' }],
    });
  });

  it('turns introspection off in production unless INTROSPECTION says otherwise', () => {
    const load = (env: Record<string, string>): boolean =>
      introspectionEnabled(loadRouterConfig({ INTERNAL_SIGNING_SECRET: SECRET, ...env }));
    expect(load({})).toBe(true);
    expect(load({ NODE_ENV: 'production' })).toBe(false);
    expect(load({ NODE_ENV: 'production', INTROSPECTION: 'true' })).toBe(true);
    expect(load({ INTROSPECTION: 'false' })).toBe(false);
  });
});
