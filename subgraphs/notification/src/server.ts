import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSubgraph, type Logger, type Subgraph } from '@chatgraph/kit';
import type { DocumentStore } from '@chatgraph/kit/store';
import { watchConsumerLag, type EventBus, type Subscription } from '@chatgraph/kit/events';
import type { KvStore } from '@chatgraph/kit/kv';
import { createMailer, type Mailer } from '@chatgraph/kit/mail';
import { answerNotificationsHandler, subscribeAnswerNotifications } from './answerEvents';
import { assistantNotificationsHandler, subscribeAssistantNotifications } from './assistantEvents';
import { creditNotificationsHandler, subscribeCreditNotifications } from './creditEvents';
import { changeEventsHandler, subscribeChangeEvents } from './changeEvents';
import { ChangeFeeds, ChangeLog, type ChangeLogLimits } from './changeLog';
import type { NotificationConfig } from './config';
import type { NotificationContext } from './context';
import { announce, LiveFeeds } from './live';
import { fileNotificationsHandler, subscribeFileNotifications } from './fileEvents';
import { MyEventsService } from './myEvents';
import { PreferenceService } from './preferences';
import { resolvers } from './resolvers';
import { Retention } from './retention';
import { signInNotificationsHandler, subscribeSignInNotifications } from './signInEvents';
import { subscribeUserEvents, userEventsHandler } from './userEvents';
import { NotificationService } from './service';
import { notificationCollections, type NotificationDoc } from './store';

/** The subgraph's SDL file, for composition scripts and tests. */
export const NOTIFICATION_SCHEMA_PATH = path.join(__dirname, 'schema.graphql');

export interface NotificationDeps {
  /** Not started or stopped here: the caller owns the store's lifecycle (start it before `start()`). */
  store: DocumentStore;
  /** Not started or stopped here either (start it before `start()`, stop it after `stop()`). */
  bus: EventBus;
  /** Not started or stopped here either: the pub/sub every instance shares (new notifications fan out on it). */
  kv: KvStore;
  config: NotificationConfig;
  logger: Logger;
  /** The clock; defaults to the system clock. */
  now?: () => Date;
  /** How often expired notifications are deleted (default hourly). */
  retentionSweepMs?: number;
  /**
   * Where e-mail notifications go; default: MAILER's adapter (`file` under
   * `<DATA_DIR>/notification`, or `log-redacted`; `smtp` needs one built with a transport, main.ts).
   * Not closed here: the caller owns it.
   */
  mailer?: Mailer;
  /** How far back a `myEvents` cursor reaches (default CHANGE_LOG_LIMITS: 1,000 changes, 24 h). */
  changeLogLimits?: ChangeLogLimits;
}

export interface Notification {
  readonly subgraph: Subgraph;
  readonly service: NotificationService;
  /** The open `notificationReceived` subscriptions of this instance. */
  readonly feeds: LiveFeeds;
  /** The open `myEvents` subscriptions of this instance, and the change logs they follow. */
  readonly changeFeeds: ChangeFeeds;
  /** Deletes notifications past NOTIFICATION_RETENTION_DAYS. */
  readonly retention: Retention;
  /** Starts the consumers, then listens on `port` (default NOTIFICATION_PORT; 0 picks a free one). */
  start(port?: number): Promise<string>;
  /** Ends the live subscriptions, drains the subgraph, then the consumers (their events in flight finish). Safe to call twice. */
  stop(): Promise<void>;
  readonly url: string;
}

/**
 * Builds the notification subgraph over the given adapters. Importing this module or calling this
 * function connects, listens and reads nothing; `start()` does.
 */
export function buildNotification(deps: NotificationDeps): Notification {
  const { config, logger, store, bus, kv } = deps;
  const collections = notificationCollections(store);
  const now = deps.now ?? (() => new Date());
  const feeds = new LiveFeeds(kv, logger);
  const retention = new Retention(collections, {
    retentionDays: config.NOTIFICATION_RETENTION_DAYS,
    now,
    logger,
    sweepMs: deps.retentionSweepMs,
  });
  const service = new NotificationService(collections, feeds);
  const changeLog = new ChangeLog(kv, deps.changeLogLimits);
  const changeFeeds = new ChangeFeeds(changeLog, logger);
  const myEvents = new MyEventsService(changeFeeds);
  const preferences = new PreferenceService(collections);
  const mailer =
    deps.mailer ??
    createMailer({
      kind: config.MAILER,
      dataDir: path.join(config.DATA_DIR, 'notification'),
      smtpUrl: config.SMTP_URL,
      from: config.MAIL_FROM,
      logger,
    });
  const mail = { mailer, logger, now };
  const subgraph = createSubgraph<NotificationContext>({
    name: 'notification',
    typeDefs: readFileSync(NOTIFICATION_SCHEMA_PATH, 'utf8'),
    resolvers,
    logger,
    signingSecret: config.INTERNAL_SIGNING_SECRET,
    context: (base) => ({ ...base, notifications: service, myEvents, preferences }),
    readiness: [
      { name: 'document-store', check: () => store.ping() },
      { name: 'event-bus', check: () => bus.ping() },
      { name: 'kv', check: () => kv.ping() },
    ],
  });
  // Pub/sub is at most once: a lost announcement leaves the notification stored, read on the next `notifications`.
  const onCreated = (doc: NotificationDoc): void => {
    announce(kv, doc).catch((error: unknown) => logger.warn({ err: error, id: doc._id }, 'new notification not announced live'));
  };
  const answers = answerNotificationsHandler({ collections, logger, now, onCreated });

  const subscriptions: Subscription[] = [];
  let started = false;
  let stopping: Promise<void> | undefined;
  return {
    subgraph,
    service,
    feeds,
    changeFeeds,
    retention,
    get url() {
      return subgraph.url;
    },
    async start(port = config.NOTIFICATION_PORT) {
      if (!started) {
        started = true;
        const subscription = await subscribeAnswerNotifications(bus, answers);
        // Consumer lag on /metrics (event_consumer_lag): a backlog of unsent notifications is visible.
        watchConsumerLag(subgraph.metrics.registry, subscription);
        subscriptions.push(subscription);
        subscriptions.push(await subscribeUserEvents(bus, userEventsHandler({ collections, logger, now, changeLog })));
        subscriptions.push(await subscribeFileNotifications(bus, fileNotificationsHandler({ collections, logger, now, onCreated })));
        const threshold = config.NOTIFICATION_LOW_CREDITS_THRESHOLD;
        subscriptions.push(
          await subscribeCreditNotifications(bus, creditNotificationsHandler({ collections, logger, now, threshold, onCreated, mail })),
        );
        subscriptions.push(
          await subscribeAssistantNotifications(bus, assistantNotificationsHandler({ collections, logger, now, onCreated })),
        );
        subscriptions.push(
          await subscribeSignInNotifications(bus, signInNotificationsHandler({ collections, logger, now, onCreated, mail })),
        );
        subscriptions.push(await subscribeChangeEvents(bus, changeEventsHandler({ log: changeLog, collections, logger, now })));
        retention.start();
      }
      return subgraph.start(port, config.NOTIFICATION_HOST);
    },
    stop() {
      stopping ??= (async () => {
        await feeds.close();
        await changeFeeds.close();
        await subgraph.stop();
        for (const subscription of subscriptions) await subscription.stop();
        await retention.stop();
      })();
      return stopping;
    },
  };
}
