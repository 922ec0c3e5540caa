import path from 'node:path';
import { createTransport } from 'nodemailer';
import { createLogger, onShutdownSignals, refuseStartUnless } from '@chatgraph/kit';
import { documentStoreFromConfig } from '@chatgraph/kit/store';
import { eventBusFromConfig } from '@chatgraph/kit/events';
import { kvStoreFromConfig } from '@chatgraph/kit/kv';
import { createMailer } from '@chatgraph/kit/mail';
import { loadIdentityConfig } from './config';
import { buildIdentity } from './server';

/** Runs identity on its own: validated config, the configured store and mailer, drained on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadIdentityConfig(process.env);
  const logger = createLogger({ name: 'identity', level: config.LOG_LEVEL });
  const store = documentStoreFromConfig(config, 'identity', logger);
  const mailer = createMailer({
    kind: config.MAILER,
    dataDir: path.join(config.DATA_DIR, 'identity'),
    smtpUrl: config.SMTP_URL,
    from: config.MAIL_FROM,
    logger,
    createSmtpTransport: (url) => createTransport(url),
  });
  // The principal directory the routers read (KV_STORE=redis when they run in other processes) and identity.user.v1.
  const kv = kvStoreFromConfig(config, logger);
  const bus = eventBusFromConfig(config, 'identity', logger);
  // Any failure to open refuses the start with one message (which dependency, what, how to repair) and exit code 1.
  await refuseStartUnless('identity', 'document store', () => store.start());
  await refuseStartUnless('identity', 'key-value store', () => kv.start());
  await refuseStartUnless('identity', 'event bus', () => bus.start());
  const identity = buildIdentity({ store, mailer, config, logger, kv, bus });
  await identity.start();

  onShutdownSignals(logger, async () => {
    await identity.stop();
    await mailer.close?.();
    await bus.stop();
    await kv.stop();
    await store.stop();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
