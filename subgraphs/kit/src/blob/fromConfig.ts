import path from 'node:path';
import { oneOf, optional, str, url } from '../config';
import type { Logger } from '../logger';
import { createGridFsBlobStore } from './gridfs/gridfsBlobStore';
import { createLocalBlobStore } from './local/localBlobStore';
import type { BlobStore } from './port';

/**
 * Which blob-store adapter a service runs on, chosen by configuration: spread into a service's
 * config spec. GridFS reuses MONGO_URL and MONGO_DB_PREFIX (the service's own database) unless
 * BLOB_MONGO_URL names another server.
 */
export const blobStoreConfigSpec = {
  BLOB_STORE: oneOf(['local', 'gridfs'] as const, {
    description: '`local`: files under `<DATA_DIR>/<service>/blobs`; `gridfs`: MongoDB GridFS (works on FerretDB) in the service database',
    default: 'local',
  }),
  BLOB_MONGO_URL: optional(url({ description: 'MongoDB connection string for BLOB_STORE=gridfs; defaults to MONGO_URL' })),
  BLOB_BUCKET: str({ description: 'GridFS bucket name (collections `<bucket>.files` and `<bucket>.chunks`)', default: 'blobs' }),
};

export interface BlobStoreConfig {
  BLOB_STORE: 'local' | 'gridfs';
  BLOB_MONGO_URL: string | undefined;
  BLOB_BUCKET: string;
  MONGO_URL: string | undefined;
  MONGO_DB_PREFIX: string;
  DATA_DIR: string;
}

/** Creates (does not start) the configured blob store of one service. */
export function blobStoreFromConfig(config: BlobStoreConfig, service: string, logger: Logger): BlobStore {
  if (config.BLOB_STORE === 'gridfs') {
    const uri = config.BLOB_MONGO_URL ?? config.MONGO_URL;
    if (!uri) throw new Error('BLOB_STORE=gridfs needs BLOB_MONGO_URL or MONGO_URL');
    return createGridFsBlobStore({ uri, dbName: `${config.MONGO_DB_PREFIX}${service}`, bucketName: config.BLOB_BUCKET, logger });
  }
  return createLocalBlobStore({ dir: path.join(config.DATA_DIR, service, 'blobs'), logger });
}
