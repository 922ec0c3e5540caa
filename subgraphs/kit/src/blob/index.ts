/** The blob-store port, its errors, and its adapters (local directory, MongoDB GridFS). */
export * from './port';
export * from './errors';
export { createLocalBlobStore, type LocalBlobStoreOptions } from './local/localBlobStore';
export { createGridFsBlobStore, type GridFsBlobStoreOptions } from './gridfs/gridfsBlobStore';
export { blobStoreConfigSpec, blobStoreFromConfig, type BlobStoreConfig } from './fromConfig';
