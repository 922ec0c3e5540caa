import { UNKNOWN_CLIENT, type ClientInfo, type Logger, type Principal } from '@chatgraph/kit';

/**
 * The context of one router request. It is built in the HTTP handler once the caller is
 * authenticated, and the data source reads `principal` and `requestId` from it to sign and tag
 * every subgraph fetch of the operation.
 */
export interface RouterContext {
  principal: Principal;
  requestId: string;
  log: Logger;
  /** The end client (user agent, address), signed to every subgraph with the principal; unknown when absent. */
  client?: ClientInfo;
}

/**
 * The context the router builds per request. The request's child logger is created on first use
 * only: most requests log nothing, and a pino child per request is a measurable share of the
 * router's per-request CPU.
 */
export class RequestContext implements RouterContext {
  private child: Logger | undefined;

  constructor(
    readonly principal: Principal,
    readonly requestId: string,
    private readonly logger: Logger,
    readonly client: ClientInfo = UNKNOWN_CLIENT,
  ) {}

  get log(): Logger {
    return (this.child ??= this.logger.child({ requestId: this.requestId }));
  }
}

/** The router's own identity for its internal calls (composition, API-key verification). */
export const ROUTER_PRINCIPAL: Principal = { kind: 'service', name: 'router' };
