import { createPublicKey, sign, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

/**
 * Compact JWTs signed with Ed25519 (`alg: EdDSA`), made with node:crypto alone. Identity signs
 * access tokens; the router verifies them against identity's JWKS.
 */
export const JWT_ISSUER = 'chatgraph-identity';
export const JWT_AUDIENCE = 'chatgraph';

export interface AccessTokenClaims {
  iss: string;
  aud: string;
  /** The user id. */
  sub: string;
  role: 'USER' | 'ADMIN';
  /** The session (refresh-token family) the token was issued for. */
  sid: string;
  iat: number;
  exp: number;
  jti: string;
}

export class JwtError extends Error {
  readonly reason: 'malformed' | 'unknown-key' | 'bad-signature' | 'expired' | 'claims';
  constructor(reason: JwtError['reason']) {
    super(`invalid token: ${reason}`);
    this.name = 'JwtError';
    this.reason = reason;
  }
}

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signJwt(claims: AccessTokenClaims, key: { kid: string; privateKey: KeyObject }): string {
  const head = b64({ alg: 'EdDSA', typ: 'JWT', kid: key.kid });
  const body = b64(claims);
  const signature = sign(null, Buffer.from(`${head}.${body}`), key.privateKey).toString('base64url');
  return `${head}.${body}.${signature}`;
}

/** Reads the header's `kid` without verifying anything (to pick the key). */
export function peekKid(token: string): string {
  const [head] = token.split('.');
  try {
    const header = JSON.parse(Buffer.from(head ?? '', 'base64url').toString('utf8')) as { alg?: unknown; kid?: unknown };
    if (header.alg !== 'EdDSA' || typeof header.kid !== 'string') throw new JwtError('malformed');
    return header.kid;
  } catch (err) {
    if (err instanceof JwtError) throw err;
    throw new JwtError('malformed');
  }
}

/** Verifies signature, issuer, audience and expiry (with `leewaySeconds` of clock skew). */
export function verifyJwt(token: string, publicKey: KeyObject, options: { now?: number; leewaySeconds?: number } = {}): AccessTokenClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('malformed');
  const [head, body, signature] = parts as [string, string, string];
  if (!verify(null, Buffer.from(`${head}.${body}`), publicKey, Buffer.from(signature, 'base64url'))) throw new JwtError('bad-signature');
  let claims: AccessTokenClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as AccessTokenClaims;
  } catch {
    throw new JwtError('malformed');
  }
  if (claims.iss !== JWT_ISSUER || claims.aud !== JWT_AUDIENCE || typeof claims.sub !== 'string' || typeof claims.sid !== 'string')
    throw new JwtError('claims');
  if (claims.role !== 'USER' && claims.role !== 'ADMIN') throw new JwtError('claims');
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (typeof claims.exp !== 'number' || claims.exp + (options.leewaySeconds ?? 5) < now) throw new JwtError('expired');
  return claims;
}

/** A public JWK as published at `/.well-known/jwks.json`. */
export interface PublicJwk extends JsonWebKey {
  kid: string;
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  alg: 'EdDSA';
  use: 'sig';
}

export function publicKeyFromJwk(jwk: PublicJwk): KeyObject {
  return createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
}

export function jwkFromPublicKey(kid: string, key: KeyObject): PublicJwk {
  const exported = key.export({ format: 'jwk' }) as { x: string };
  return { kid, kty: 'OKP', crv: 'Ed25519', x: exported.x, alg: 'EdDSA', use: 'sig' };
}
