import { silentAdapterLogger, type AdapterLogger } from '../adapterLogger';

/** The logging the key-value adapters need. */
export type KvLogger = AdapterLogger;
export const silentKvLogger: KvLogger = silentAdapterLogger;
