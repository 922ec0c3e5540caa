export { RouterRateLimiter, RequestGate, rateLimited, type RouterRateLimiterOptions } from './limiter';
export { RateLimitMetrics } from './metrics';
export { clientAddress } from './clientAddress';
export { rateLimitHeaders } from './headers';
export { rootFieldUses, type RootFieldUse } from './operationFacts';
export { RATE_LIMIT_HEADERS } from './headerNames';
export { rateLimitFromConfig } from './fromConfig';
