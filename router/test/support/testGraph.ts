import { buildRouter, type Router, type RouterAuthOptions, type RouterLimits, type SupergraphSource } from '../../src';
import type { Logger } from '@chatgraph/kit';
import { postGraphQL, type GraphQLRequestOptions, type GraphQLResult } from './http';
import { silentLogger } from './logs';
import { startTestIdentity, type TestIdentity } from './testIdentity';
import { startTestProfiles, type TestProfiles } from './testProfiles';

/** The signing secret shared by the router and subgraphs in tests. */
export const TEST_SECRET = 'router-test-secret-0123456789abcdef';

export interface TestRouterOptions {
  supergraph: SupergraphSource;
  /** Base URL of identity (real or test). */
  identityUrl: string;
  signingSecret?: string;
  logger?: Logger;
  auth?: Omit<RouterAuthOptions, 'identityUrl'>;
  limits?: Partial<RouterLimits>;
  introspection?: boolean;
  subgraphTimeoutMs?: number;
  trustedProxyHops?: number;
}

export interface TestRouter {
  readonly router: Router;
  readonly url: string;
  readonly graphqlUrl: string;
  /** POSTs an operation to the router's `/graphql`. */
  query(query: string, options?: GraphQLRequestOptions): Promise<GraphQLResult>;
  stop(): Promise<void>;
}

/** Builds and starts a router on port 0. Reusable with any subgraphs, including the real identity. */
export async function startTestRouter(options: TestRouterOptions): Promise<TestRouter> {
  const router = buildRouter({
    logger: options.logger ?? silentLogger('router'),
    signingSecret: options.signingSecret ?? TEST_SECRET,
    supergraph: options.supergraph,
    auth: { identityUrl: options.identityUrl, ...options.auth },
    limits: options.limits,
    introspection: options.introspection,
    subgraphTimeoutMs: options.subgraphTimeoutMs,
    trustedProxyHops: options.trustedProxyHops,
  });
  const url = await router.start();
  const graphqlUrl = `${url}/graphql`;
  return {
    router,
    url,
    graphqlUrl,
    query: (query, requestOptions) => postGraphQL(graphqlUrl, query, requestOptions),
    stop: () => router.stop(),
  };
}

/** The test identity and profiles subgraphs, behind a router composing from them. */
export interface TestGraph {
  identity: TestIdentity;
  profiles: TestProfiles;
  router: TestRouter;
  stop(): Promise<void>;
}

export async function startTestGraph(options: Omit<TestRouterOptions, 'supergraph' | 'identityUrl'> = {}): Promise<TestGraph> {
  const secret = options.signingSecret ?? TEST_SECRET;
  const identity = await startTestIdentity({ signingSecret: secret, logger: silentLogger('identity') });
  const profiles = await startTestProfiles({ signingSecret: secret, logger: silentLogger('profiles') });
  const router = await startTestRouter({
    ...options,
    identityUrl: identity.url,
    supergraph: {
      kind: 'composed',
      subgraphs: [
        { name: 'identity', url: identity.graphqlUrl },
        { name: 'profiles', url: profiles.graphqlUrl },
      ],
    },
  });
  return {
    identity,
    profiles,
    router,
    async stop() {
      await router.stop();
      await Promise.all([identity.stop(), profiles.stop()]);
    },
  };
}
