import path from 'node:path';
import { oneOf, optional, str, url } from '../config';
import type { Logger } from '../logger';
import { createEmbeddedStore } from './embedded/embeddedStore';
import { createMongoStore } from './mongo/mongoStore';
import type { DocumentStore } from './port';

/**
 * Which document-store adapter a service runs on, chosen by configuration (never by test code):
 * spread into a service's config spec so every service documents the same variables.
 */
export const documentStoreConfigSpec = {
  DOCUMENT_STORE: oneOf(['embedded', 'mongodb'] as const, {
    description: '`embedded`: in-process, persisted under DATA_DIR; `mongodb`: MongoDB (or FerretDB) at MONGO_URL',
    default: 'embedded',
  }),
  MONGO_URL: optional(url({ description: 'MongoDB connection string for DOCUMENT_STORE=mongodb, e.g. `mongodb://127.0.0.1:27017`' })),
  MONGO_DB_PREFIX: str({
    description: 'Each service uses the database `<prefix><service>` (one database per service: services never share data)',
    default: 'chatgraph_',
  }),
};

export interface DocumentStoreConfig {
  DOCUMENT_STORE: 'embedded' | 'mongodb';
  MONGO_URL: string | undefined;
  MONGO_DB_PREFIX: string;
  DATA_DIR: string;
}

/** Creates (does not start) the configured document store of one service. */
export function documentStoreFromConfig(config: DocumentStoreConfig, service: string, logger: Logger): DocumentStore {
  if (config.DOCUMENT_STORE === 'mongodb') {
    if (!config.MONGO_URL) throw new Error('DOCUMENT_STORE=mongodb needs MONGO_URL');
    return createMongoStore({ uri: config.MONGO_URL, dbName: `${config.MONGO_DB_PREFIX}${service}`, logger });
  }
  return createEmbeddedStore({ dataDir: path.join(config.DATA_DIR, service), logger });
}
