import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@chatgraph/kit';
import { buildRouter, type Router, type RouterDeps, type RouterLimits, type RouterSubscriptionOptions } from '../../src';
import { composeTestSupergraph } from './compose';
import { silentLogger } from './logs';
import { CHAT_SDL, startTestChat, startTestStreaming, STREAMING_SDL, type TestChat, type TestStreaming } from './subscriptionsGraph';
import { TEST_SECRET } from './testGraph';
import { startTestIdentity, TEST_IDENTITY_SDL, type TestIdentity } from './testIdentity';
import { wsClient, type TestWsClient } from './subscriptionsClient';

export interface SubscriptionGraph {
  identity: TestIdentity;
  streaming: TestStreaming;
  chat: TestChat;
  router: Router;
  url: string;
  /** Rewrites the supergraph file (atomically); `extra` adds a field to the chat subgraph's Query. */
  rewriteSupergraph(extra: string): Promise<void>;
  /** A graphql-ws client of the router; `token` goes in `connection_init` as `Bearer <token>`. */
  client(token?: string): TestWsClient;
  /** A token of `sub` signed by the test identity. */
  token(sub: string, expiresIn?: number): string;
  stop(): Promise<void>;
}

export interface SubscriptionGraphOptions {
  subscriptions?: RouterSubscriptionOptions;
  limits?: Partial<RouterLimits>;
  logger?: Logger;
  /** Browser origins allowed (CORS and the sockets' Origin check). */
  cors?: RouterDeps['cors'];
}

/**
 * Identity (for tokens), the streaming and chat test subgraphs, and a router serving their
 * supergraph composed with @apollo/composition into a file (file mode, so tests can reload it).
 */
export async function startSubscriptionGraph(options: SubscriptionGraphOptions = {}): Promise<SubscriptionGraph> {
  const identity = await startTestIdentity({ signingSecret: TEST_SECRET, logger: silentLogger('identity') });
  const streaming = await startTestStreaming({ signingSecret: TEST_SECRET, logger: silentLogger('streaming') });
  const chat = await startTestChat({ signingSecret: TEST_SECRET, logger: silentLogger('chat') });
  const dir = await mkdtemp(join(tmpdir(), 'router-subscriptions-'));
  const path = join(dir, 'supergraph.graphql');
  const supergraph = (extra: string): string =>
    composeTestSupergraph([
      { name: 'identity', url: identity.graphqlUrl, typeDefs: TEST_IDENTITY_SDL },
      { name: 'streaming', url: streaming.graphqlUrl, typeDefs: STREAMING_SDL },
      {
        name: 'chat',
        url: chat.graphqlUrl,
        typeDefs: extra
          ? CHAT_SDL.replace('conversation(id: ID!): Conversation', `conversation(id: ID!): Conversation\n ${extra}`)
          : CHAT_SDL,
      },
    ]);
  await writeFile(path, supergraph(''));
  const router = buildRouter({
    logger: options.logger ?? silentLogger('router'),
    signingSecret: TEST_SECRET,
    supergraph: { kind: 'file', path, pollMs: 50, debounceMs: 20 },
    auth: { identityUrl: identity.url },
    limits: options.limits,
    cors: options.cors,
    subscriptions: { upstreamIdleMs: 50, ...options.subscriptions },
  });
  const url = await router.start();
  const clients: TestWsClient[] = [];
  return {
    identity,
    streaming,
    chat,
    router,
    url,
    async rewriteSupergraph(extra) {
      await writeFile(`${path}.next`, supergraph(extra));
      await rename(`${path}.next`, path);
    },
    client(token) {
      const client = wsClient(url, token === undefined ? undefined : { authorization: `Bearer ${token}` });
      clients.push(client);
      return client;
    },
    token: (sub, expiresIn) => identity.signToken({ sub, expiresIn }),
    async stop() {
      await Promise.all(clients.map((c) => c.dispose()));
      await router.stop();
      await Promise.all([identity.stop(), streaming.stop(), chat.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
