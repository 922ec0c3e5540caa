/** Response headers a browser page must be allowed to read (cors.ts exposes them). */
export const RATE_LIMIT_HEADERS = ['ratelimit', 'ratelimit-policy'] as const;
