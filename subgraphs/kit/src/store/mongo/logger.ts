import { silentAdapterLogger, type AdapterLogger } from '../../adapterLogger';

/** The logging the MongoDB store needs. */
export type MongoStoreLogger = AdapterLogger;
export const silentLogger: MongoStoreLogger = silentAdapterLogger;
