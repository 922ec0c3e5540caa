import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createEmbeddedEventBus, createEmbeddedStore, createLogger, createMailer, type Logger } from '@chatgraph/kit';
import { loadConversationConfig } from '@chatgraph/conversation/src/config';
import { buildConversation, type Conversation } from '@chatgraph/conversation/src/server';
import { loadIdentityConfig } from '@chatgraph/identity/src/config';
import { buildIdentity, type Identity } from '@chatgraph/identity/src/server';
import { buildRouter, loadRouterConfig, routerDepsFromConfig, type Router } from '../index';
import type { EmbeddedConfig } from './config';

/** A running one-process supergraph. */
export interface EmbeddedStack {
  /** The router's `/graphql` URL. */
  readonly url: string;
  readonly router: Router;
  readonly identity: Identity;
  readonly conversation: Conversation;
  /** The router<->subgraph secret in use (benchmarks call subgraphs directly with it). */
  readonly signingSecret: string;
  /** Router first (drain clients), then subgraphs, then adapters. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts every subgraph on a free loopback port with embedded adapters under `DATA_DIR`, then
 * the router composed from their SDL. `env` supplies service-specific settings.
 */
export async function startEmbedded(config: EmbeddedConfig, env: NodeJS.ProcessEnv = process.env, loggerFor: (service: string) => Logger = (name) => createLogger({ name, level: config.LOG_LEVEL })): Promise<EmbeddedStack> {
  const signingSecret = config.INTERNAL_SIGNING_SECRET ?? randomBytes(32).toString('base64url');
  const shared = { ...env, INTERNAL_SIGNING_SECRET: signingSecret, DATA_DIR: config.DATA_DIR, LOG_LEVEL: config.LOG_LEVEL };
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };

  try {
    const identityConfig = loadIdentityConfig({ ...shared, IDENTITY_PORT: '0' });
    const identityLog = loggerFor('identity');
    const identityStore = createEmbeddedStore({ dataDir: path.join(config.DATA_DIR, 'identity'), logger: identityLog });
    await identityStore.start();
    cleanups.push(() => identityStore.stop());
    const mailer = createMailer({ kind: 'file', dataDir: path.join(config.DATA_DIR, 'identity'), from: identityConfig.MAIL_FROM, logger: identityLog });
    const identity = buildIdentity({ store: identityStore, mailer, config: identityConfig, logger: identityLog });
    const identityUrl = await identity.start(0);
    cleanups.push(() => identity.stop());

    const conversationConfig = loadConversationConfig({ ...shared, CONVERSATION_PORT: '0' });
    const conversationLog = loggerFor('conversation');
    const conversationStore = createEmbeddedStore({ dataDir: path.join(config.DATA_DIR, 'conversation'), logger: conversationLog });
    await conversationStore.start();
    cleanups.push(() => conversationStore.stop());
    const conversationBus = createEmbeddedEventBus({ dataDir: path.join(config.DATA_DIR, 'conversation', 'events'), logger: conversationLog });
    await conversationBus.start();
    cleanups.push(() => conversationBus.stop());
    const conversation = buildConversation({ store: conversationStore, bus: conversationBus, config: conversationConfig, logger: conversationLog });
    const conversationUrl = await conversation.start(0);
    cleanups.push(() => conversation.stop());

    const routerConfig = loadRouterConfig({
      ...shared,
      ROUTER_PORT: String(config.ROUTER_PORT),
      ROUTER_HOST: config.ROUTER_HOST,
      IDENTITY_URL: identityUrl,
      SUBGRAPH_URLS: `identity=${identityUrl}/graphql,conversation=${conversationUrl}/graphql`,
    });
    const router = buildRouter(routerDepsFromConfig(routerConfig, loggerFor('router')));
    const base = await router.start(config.ROUTER_PORT, config.ROUTER_HOST);
    cleanups.push(() => router.stop());

    let stopping: Promise<void> | undefined;
    return {
      url: `${base}/graphql`,
      router,
      identity,
      conversation,
      signingSecret,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
