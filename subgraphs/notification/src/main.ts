import path from 'node:path';
import { createTransport } from 'nodemailer';
import { createLogger, onShutdownSignals } from '@chatgraph/kit';
import { createMailer } from '@chatgraph/kit/mail';
import { documentStoreFromConfig } from '@chatgraph/kit/store';
import { eventBusFromConfig } from '@chatgraph/kit/events';
import { kvStoreFromConfig } from '@chatgraph/kit/kv';
import { loadNotificationConfig } from './config';
import { buildNotification } from './server';

/** Runs notification on its own: validated config, the configured store and bus, drained on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadNotificationConfig(process.env);
  const logger = createLogger({ name: 'notification', level: config.LOG_LEVEL });
  const store = documentStoreFromConfig(config, 'notification', logger);
  const bus = eventBusFromConfig(config, 'notification', logger);
  const kv = kvStoreFromConfig(config, logger);
  await store.start();
  await bus.start();
  await kv.start();
  // Built here rather than in buildNotification: only this entry point brings SMTP's transport (nodemailer).
  const mailer = createMailer({
    kind: config.MAILER,
    dataDir: path.join(config.DATA_DIR, 'notification'),
    smtpUrl: config.SMTP_URL,
    from: config.MAIL_FROM,
    logger,
    createSmtpTransport: (url) => createTransport(url),
  });
  const notification = buildNotification({ store, bus, kv, config, logger, mailer });
  await notification.start();

  onShutdownSignals(logger, async () => {
    await notification.stop();
    await mailer.close?.();
    await kv.stop();
    await bus.stop();
    await store.stop();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
