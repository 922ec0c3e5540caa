import { silentAdapterLogger, type AdapterLogger } from '../../adapterLogger';

/** The logging the embedded store needs. */
export type EmbeddedStoreLogger = AdapterLogger;
export const silentLogger: EmbeddedStoreLogger = silentAdapterLogger;
