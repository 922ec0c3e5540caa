import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSubgraph, type Logger, type Subgraph, refuseStartUnless } from '@chatgraph/kit';
import type { DocumentStore } from '@chatgraph/kit/store';
import { OutboxRelay, type EventBus } from '@chatgraph/kit/events';
import type { KvStore } from '@chatgraph/kit/kv';
import type { Mailer } from '@chatgraph/kit/mail';
import type { IdentityConfig } from './config';
import type { IdentityContext } from './context';
import { resolvers } from './resolvers';
import { apiKeyVerifyRoute, jwksRoute } from './routes';
import { IdentityService } from './service';
import { identityCollections } from './store';

/** The subgraph's SDL file, for composition scripts and tests. */
export const IDENTITY_SCHEMA_PATH = path.join(__dirname, 'schema.graphql');

/** How often a running service rotates a due signing key and prunes expired records. */
const HOUSEKEEPING_MS = 3_600_000;
/** How often the principal directory is checked (re-published when the kv lost it or a write failed). */
const DIRECTORY_CHECK_MS = 5000;

export interface IdentityDeps {
  /** Not started or stopped here: the caller owns the store's lifecycle (start it before `start()`). */
  store: DocumentStore;
  mailer: Mailer;
  config: IdentityConfig;
  logger: Logger;
  /** The clock; defaults to the system clock. Tests pass one they can move. */
  now?: () => Date;
  /**
   * The kv the routers read the principal directory from (not started or stopped here). Without
   * it, routers cannot enforce logouts, revocations, role changes, disabled or deleted accounts.
   */
  kv?: KvStore;
  /** Where `identity.user.v1` goes (not started or stopped here). Without it, events wait in the outbox. */
  bus?: EventBus;
  /** Outbox relay poll interval (default 1 s). */
  relayPollMs?: number;
}

export interface Identity {
  readonly subgraph: Subgraph;
  readonly service: IdentityService;
  /** Ensures a signing key, then listens on `port` (default `IDENTITY_PORT`; 0 picks a free one). Resolves to the base URL. */
  start(port?: number): Promise<string>;
  /** Stops the housekeeping timer, drains the subgraph and waits for mails in flight. Safe to call twice. */
  stop(): Promise<void>;
  /** The base URL once started (`http://127.0.0.1:<port>`). */
  readonly url: string;
}

/**
 * Builds the identity subgraph over the given adapters. Importing this module or calling this
 * function connects, listens and reads nothing; `start()` does.
 */
export function buildIdentity(deps: IdentityDeps): Identity {
  const { config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const collections = identityCollections(deps.store);
  const relay = deps.bus
    ? new OutboxRelay({
        bus: deps.bus,
        collections: [collections.users, collections.outbox, collections.sessions],
        logger,
        pollIntervalMs: deps.relayPollMs,
      })
    : undefined;
  const service = new IdentityService({
    collections,
    mailer: deps.mailer,
    config,
    logger,
    now,
    kv: deps.kv,
    eventsQueued: () => relay?.notify(),
  });
  const subgraph = createSubgraph<IdentityContext>({
    name: 'identity',
    typeDefs: readFileSync(IDENTITY_SCHEMA_PATH, 'utf8'),
    resolvers,
    logger,
    signingSecret: config.INTERNAL_SIGNING_SECRET,
    context: (base) => ({ ...base, identity: service }),
    publicRoutes: [jwksRoute(service)],
    signedRoutes: [apiKeyVerifyRoute(service, logger)],
    readiness: [
      { name: 'document-store', check: () => deps.store.ping() },
      ...(deps.kv ? [{ name: 'kv-store', check: () => deps.kv?.ping() ?? Promise.resolve() }] : []),
    ],
  });

  let timer: NodeJS.Timeout | undefined;
  let directoryTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;

  return {
    subgraph,
    service,
    get url() {
      return subgraph.url;
    },
    async start(port = config.IDENTITY_PORT) {
      // Every collection registered above must have opened: refuse the start rather than serve half a store.
      await refuseStartUnless('identity', 'document store', () => deps.store.ping());
      await service.prepare();
      timer ??= setInterval(() => {
        service.housekeeping().catch((err: unknown) => logger.error({ err }, 'identity housekeeping failed'));
      }, HOUSEKEEPING_MS);
      // Housekeeping must never keep a process alive that is otherwise done.
      timer.unref();
      directoryTimer ??= setInterval(() => void service.principals.ensure(), DIRECTORY_CHECK_MS);
      directoryTimer.unref();
      relay?.start();
      return subgraph.start(port, config.IDENTITY_HOST);
    },
    stop() {
      stopping ??= (async () => {
        if (timer) clearInterval(timer);
        if (directoryTimer) clearInterval(directoryTimer);
        timer = undefined;
        directoryTimer = undefined;
        await subgraph.stop();
        await relay?.stop();
        await service.mailSettled();
      })();
      return stopping;
    },
  };
}
