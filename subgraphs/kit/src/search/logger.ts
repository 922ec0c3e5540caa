import { silentAdapterLogger, type AdapterLogger } from '../adapterLogger';

/** The logging search adapters need. */
export type SearchLogger = AdapterLogger;
export const silentSearchLogger: SearchLogger = silentAdapterLogger;
