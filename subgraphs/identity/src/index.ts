/**
 * identity's public entry: what launchers, benchmarks and end-to-end tests may use. Anything else
 * under `src/` is private to the service (a lint rule refuses imports of another package's `src/`).
 */
import { subgraphFiles, type SubgraphDescriptor } from '@chatgraph/kit';
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
  ...subgraphFiles(__dirname),
  embedded: async (context): Promise<Identity> => {
    const config = loadIdentityConfig(context.env);
    const store = await context.openStore();
    const mailer = createMailer({ kind: 'file', dataDir: context.dataDir, from: config.MAIL_FROM, logger: context.logger });
    return buildIdentity({ store, mailer, config, logger: context.logger, kv: context.kv, bus: context.bus });
  },
} satisfies SubgraphDescriptor<'identity', Identity>;
