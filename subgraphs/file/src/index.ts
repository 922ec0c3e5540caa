/**
 * file's public entry: what launchers, benchmarks and end-to-end tests may use. Anything else
 * under `src/` is private to the service (a lint rule refuses imports of another package's `src/`).
 */
import path from 'node:path';
import { refuseStartUnless, subgraphFiles, type SubgraphDescriptor } from '@chatgraph/kit';
import { createLocalBlobStore } from '@chatgraph/kit/blob';
import { loadFileConfig, fileConfigSpec, processorOptions } from './config';
import { createFileProcessor } from './processing';
import { buildFile, type File } from './server';

export { loadFileConfig, fileConfigSpec, processorOptions, type FileConfig } from './config';
export { buildFile, FILE_SCHEMA_PATH, type File, type FileDeps } from './server';
// Upload tickets and download links (tests mint expired ones with the stack's secret).
export { Capabilities, CapabilityError } from './capabilities';
// The stored shapes and their collections: tests and benchmarks read stored state through them.
export { fileCollections, blobKeys, type FileCollections, type FileDoc } from './store';

/**
 * The router's origin in the one-process stack when FILE_PUBLIC_URL is not set: its fixed port if
 * the environment names one (a random port is only known once the router listens: `setPublicUrl`).
 */
function embeddedPublicUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (env.FILE_PUBLIC_URL) return env.FILE_PUBLIC_URL;
  const port = Number(env.ROUTER_PORT);
  return Number.isInteger(port) && port > 0 ? `http://127.0.0.1:${port}` : undefined;
}

/**
 * file as the launchers run it (`@chatgraph/launcher` lists it): its port variable, config spec
 * and README for the docs, its `main.ts` for the distributed mode, and how the one-process mode
 * builds it over the shared adapters, with its blobs in `<DATA_DIR>/file/blobs`.
 */
export const fileSubgraph = {
  name: 'file' as const,
  portVariable: 'FILE_PORT',
  configSpec: fileConfigSpec,
  ...subgraphFiles(__dirname),
  embedded: async (context): Promise<File> => {
    const publicUrl = embeddedPublicUrl(context.env);
    const config = loadFileConfig({ ...context.env, ...(publicUrl ? { FILE_PUBLIC_URL: publicUrl } : {}) });
    const blobs = createLocalBlobStore({ dir: path.join(context.dataDir, 'blobs'), logger: context.logger });
    await refuseStartUnless('file', `blob store (${path.join(context.dataDir, 'blobs')})`, () => blobs.start());
    return buildFile({
      store: await context.openStore(),
      bus: context.bus,
      kv: context.kv,
      blobs,
      ownsBlobs: true,
      processor: createFileProcessor(processorOptions(config)),
      config,
      logger: context.logger,
    });
  },
} satisfies SubgraphDescriptor<'file', File>;
