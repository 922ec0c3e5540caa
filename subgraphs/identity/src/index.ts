/**
 * identity's public entry: what launchers, benchmarks and end-to-end tests may use. Anything else
 * under `src/` is private to the service (a lint rule refuses imports of another package's `src/`).
 */
import path from 'node:path';
import type { Logger } from '@chatgraph/kit';
import type { DocumentStore } from '@chatgraph/kit/store';
import type { EventBus } from '@chatgraph/kit/events';
import type { KvStore } from '@chatgraph/kit/kv';
import { createMailer } from '@chatgraph/kit/mail';
import { identityConfigSpec, loadIdentityConfig } from './config';
import { buildIdentity, type Identity } from './server';

export { identityConfigSpec, loadIdentityConfig, type IdentityConfig } from './config';
export { buildIdentity, IDENTITY_SCHEMA_PATH, type Identity, type IdentityDeps } from './server';

/**
 * identity as the launchers run it (`@chatgraph/launcher` lists it): its port variable, config
 * spec and README for the docs, its `main.ts` for the distributed mode, and how the one-process
 * mode builds it over the shared adapters (mail goes to files under `<DATA_DIR>/identity`).
 */
export const identitySubgraph = {
  name: 'identity' as const,
  portVariable: 'IDENTITY_PORT',
  configSpec: identityConfigSpec,
  main: path.join(__dirname, 'main.ts'),
  readme: path.join(__dirname, '..', 'README.md'),
  async embedded(context: {
    env: NodeJS.ProcessEnv;
    logger: Logger;
    bus: EventBus;
    kv: KvStore;
    dataDir: string;
    openStore(): Promise<DocumentStore>;
  }): Promise<Identity> {
    const config = loadIdentityConfig(context.env);
    const store = await context.openStore();
    const mailer = createMailer({ kind: 'file', dataDir: context.dataDir, from: config.MAIL_FROM, logger: context.logger });
    return buildIdentity({ store, mailer, config, logger: context.logger, kv: context.kv, bus: context.bus });
  },
};
