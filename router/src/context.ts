import type { Logger, Principal } from '@chatgraph/kit';

/**
 * The Apollo context of one router request. It is built in the HTTP handler once the caller is
 * authenticated, and the data source reads `principal` and `requestId` from it to sign and tag
 * every subgraph fetch of the operation.
 */
export interface RouterContext {
  principal: Principal;
  requestId: string;
  log: Logger;
}

/** The router's own identity for its internal calls (composition, API-key verification). */
export const ROUTER_PRINCIPAL: Principal = { kind: 'service', name: 'router' };
