import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Secrets this service hands out — refresh tokens, API keys, mail tokens — are 32 random bytes
 * and stored only as SHA-256. A fast hash is right for them (unlike passwords): with 256 bits of
 * entropy there is nothing to brute-force, and they are checked on hot paths.
 */
export const SECRET_BYTES = 32;

/** 32 random bytes, base64url (43 characters). */
export function randomSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

const REFRESH_TOKEN = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/;

/** `<sessionId>.<secret>`: the session id lets a reused token name the family to revoke. */
export function makeRefreshToken(sessionId: string): string {
  return `${sessionId}.${randomSecret()}`;
}

export function parseRefreshToken(token: string): { sessionId: string } | null {
  const match = REFRESH_TOKEN.exec(token);
  return match ? { sessionId: match[1] as string } : null;
}
