/**
 * notification's public entry: what launchers, benchmarks and end-to-end tests may use. Anything
 * else under `src/` is private to the service (a lint rule refuses imports of another package's `src/`).
 */
import { subgraphFiles, type SubgraphDescriptor } from '@chatgraph/kit';
import { createMailer } from '@chatgraph/kit/mail';
import { loadNotificationConfig, notificationConfigSpec } from './config';
import { buildNotification, type Notification } from './server';

export { loadNotificationConfig, notificationConfigSpec, type NotificationConfig } from './config';
export { buildNotification, NOTIFICATION_SCHEMA_PATH, type Notification, type NotificationDeps } from './server';
// The stored shapes and their collections: tests and benchmarks read stored state through them.
export { notificationCollections, type NotificationCollections, type NotificationDoc } from './store';

/**
 * notification as the launchers run it (`@chatgraph/launcher` lists it): its port variable, config
 * spec and README for the docs, its `main.ts` for the distributed mode, and how the one-process
 * mode builds it over the shared adapters.
 */
export const notificationSubgraph = {
  name: 'notification' as const,
  portVariable: 'NOTIFICATION_PORT',
  configSpec: notificationConfigSpec,
  ...subgraphFiles(__dirname),
  embedded: async (context): Promise<Notification> => {
    const config = loadNotificationConfig(context.env);
    // One process is development: e-mail notifications go to the file outbox, as identity's mails do.
    const mailer = createMailer({ kind: 'file', dataDir: context.dataDir, from: config.MAIL_FROM, logger: context.logger });
    return buildNotification({
      store: await context.openStore(),
      bus: context.bus,
      kv: context.kv,
      config,
      logger: context.logger,
      mailer,
    });
  },
} satisfies SubgraphDescriptor<'notification', Notification>;
