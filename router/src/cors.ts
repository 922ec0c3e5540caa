import type { IncomingMessage, ServerResponse } from 'node:http';

/** Which browser origins may call the router, and how (see CORS_* in ROUTER_CONFIG_SPEC). */
export interface CorsOptions {
  /**
   * Allowed origins: exact (`https://app.example.com`) or patterns where `*` stands for any run of
   * host-name characters or port digits (`https://*.example.com`, `http://localhost:*`). Empty: no
   * browser on another origin may read an answer.
   */
  origins: readonly string[];
  /** Answer `Access-Control-Allow-Credentials: true` (cookies, HTTP auth) to allowed origins. */
  credentials: boolean;
  /** How long a browser may cache a preflight answer (`Access-Control-Max-Age`). */
  maxAgeSeconds: number;
}

/** Development's default: any port of the loopback host names, the usual Vite/Next dev servers. */
export const DEVELOPMENT_ORIGINS: readonly string[] = [
  'http://localhost:*',
  'http://127.0.0.1:*',
  'http://[::1]:*',
  'https://localhost:*',
  'https://127.0.0.1:*',
];

/** Production's default: nobody, until CORS_ORIGINS names the web app's origins. */
export const NO_ORIGINS: readonly string[] = [];

/** Request headers a browser client may send; anything else fails its preflight. */
const ALLOWED_HEADERS =
  'authorization, content-type, accept, x-api-key, x-request-id, apollo-require-preflight, x-apollo-operation-name, apollographql-client-name, apollographql-client-version';

/** Response headers a page may read besides the CORS-safelisted ones. */
const EXPOSED_HEADERS = 'x-request-id, www-authenticate, retry-after, ratelimit, ratelimit-policy';

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** A pattern's `*` matches host-name characters or digits, never `/`, `:` or `@`: no escape from the host. */
function patternToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map(escapeRegExp).join('[a-z0-9-]+(?:\\.[a-z0-9-]+)*')}$`, 'i');
}

/** Checks one origin entry: `scheme://host[:port]`, `*` allowed in host and port, nothing after. */
export function parseOriginEntry(entry: string): string {
  const trimmed = entry.trim().replace(/\/$/, '');
  if (!/^https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9*.-]+)(:(\d+|\*))?$/i.test(trimmed)) {
    throw new Error(`"${entry}" is not an origin: write scheme://host[:port], with * for any subdomain or port`);
  }
  return trimmed.toLowerCase();
}

/**
 * The router's CORS: which origins are allowed (the same list guards WebSocket upgrades), the
 * headers added to every answer, and the preflight answer. CSRF prevention (graphqlRequest.ts)
 * stays as it is: CORS only decides which pages may read answers and send non-simple requests.
 */
export class CorsPolicy {
  private readonly exact = new Set<string>();
  private readonly patterns: RegExp[] = [];

  constructor(private readonly options: CorsOptions) {
    for (const origin of options.origins) {
      const entry = parseOriginEntry(origin);
      if (entry.includes('*')) this.patterns.push(patternToRegExp(entry));
      else this.exact.add(entry);
    }
  }

  /** True when a page on `origin` may call the router (and open sockets to it). */
  allows(origin: string): boolean {
    const normalized = origin.toLowerCase();
    return this.exact.has(normalized) || this.patterns.some((pattern) => pattern.test(normalized));
  }

  /**
   * Adds the CORS headers to `res` (before the route writes its head) and answers a preflight
   * itself: true when the request is answered. Every answer varies by `Origin`, allowed or not, so
   * a shared cache never hands one origin's answer to another.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    const preflight = req.method === 'OPTIONS';
    res.setHeader('vary', 'Origin');
    const allowed = origin !== undefined && this.allows(origin);
    if (allowed) {
      res.setHeader('access-control-allow-origin', origin);
      if (this.options.credentials) res.setHeader('access-control-allow-credentials', 'true');
      if (!preflight) res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    }
    if (!preflight) return false;
    // Answered for any path: a preflight never reaches a route. A refused origin gets no
    // Access-Control-Allow-* header, which is how a browser learns it is refused.
    const headers: Record<string, string | number> = { allow: 'GET, POST, OPTIONS', 'content-length': 0 };
    if (allowed) {
      headers['access-control-allow-methods'] = 'GET, POST, OPTIONS';
      headers['access-control-allow-headers'] = ALLOWED_HEADERS;
      headers['access-control-max-age'] = this.options.maxAgeSeconds;
    }
    res.writeHead(204, headers);
    res.end();
    return true;
  }
}
