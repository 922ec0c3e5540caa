import type { RateLimitResult } from '@chatgraph/kit/kv';

/** One policy's decision, as the headers report it. */
export interface HeaderItem {
  name: string;
  windowMs: number;
  result: RateLimitResult;
  /** `policyField(name, result.limit, windowMs)` when the caller keeps it (it changes only with the policy). */
  policyField?: string;
}

/** One policy's entry of `RateLimit-Policy`: `"name";q=<quota>;w=<window s>`. */
export function policyField(name: string, limit: number, windowMs: number): string {
  return `"${name}";q=${limit};w=${Math.max(1, Math.ceil(windowMs / 1000))}`;
}

/**
 * The IETF RateLimit header fields, structured-field form of draft-ietf-httpapi-ratelimit-headers-10
 * (September 2025; the form introduced in -08): `RateLimit-Policy` lists each quota policy as
 * `"name";q=<quota>;w=<window s>`, `RateLimit` its current state as `"name";r=<remaining>;t=<s until the full quota is back>`.
 */
export function rateLimitHeaders(items: readonly HeaderItem[], now: number): Record<string, string> {
  if (items.length === 0) return {};
  const policy = items.map((i) => i.policyField ?? policyField(i.name, i.result.limit, i.windowMs)).join(', ');
  const state = items
    .map((i) => `"${i.name}";r=${i.result.remaining};t=${Math.max(0, Math.ceil((i.result.resetAt - now) / 1000))}`)
    .join(', ');
  return { 'ratelimit-policy': policy, ratelimit: state };
}
