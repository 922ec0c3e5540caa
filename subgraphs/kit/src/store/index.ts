/** The document-store port, its errors, keyset paging, and the embedded adapter. */
export * from './port';
export * from './errors';
export * from './paging';
export { upsertIfNewer } from './upsertIfNewer';
export { createEmbeddedStore, type CompactionOptions, type EmbeddedStoreOptions } from './embedded/embeddedStore';
export { DocumentStoreDamagedError } from './embedded/database';
export { checkDocumentStore } from './embedded/check';
/** Commits (fsyncs) and operations of the embedded writer since start: benchmarks report them per operation. */
export { commitStats } from './embedded/writeBatch';
export { createMongoStore, type MongoStoreOptions } from './mongo/mongoStore';
export { DocumentStoreUnavailableError } from './unavailable';
export { CollectionUnavailableError } from './lifecycle';
/** A mutex per key (also for services that serialise work per user in one process). */
export { KeyedLock } from '../durability/keyedLock';
/** The adapter a service runs on, chosen by configuration (DOCUMENT_STORE, MONGO_URL...). */
export * from './fromConfig';
