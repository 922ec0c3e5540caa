// NO CONSUMER YET: the blob-store port, built ahead of issue 15 (file), which will be its first user; see subgraphs/kit/README.md.
/** The blob-store port, its errors, and its adapters (local directory, MongoDB GridFS). */
export * from './port';
export * from './errors';
export { createLocalBlobStore, type LocalBlobStoreOptions } from './local/localBlobStore';
export { createGridFsBlobStore, type GridFsBlobStoreOptions } from './gridfs/gridfsBlobStore';
