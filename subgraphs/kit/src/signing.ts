import { createHmac, hash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { NonceRegistry } from './nonces';
import { parsePrincipal, type Principal } from './principal';

/**
 * Router -> subgraph request signing. The router puts the caller's principal in a header and
 * signs `timestamp.nonce.principal.sha256(body)` with HMAC-SHA256 and a secret only it and the
 * subgraphs hold. A subgraph refuses a request whose signature is missing or wrong, whose
 * timestamp is outside the allowed skew (±5 s by default), whose nonce it has already accepted,
 * or whose body is not the one signed — so `_entities` and `_service` cannot be called around the
 * router, nor a captured request replayed, nor its signature reused on a different body.
 */
export const PRINCIPAL_HEADER = 'x-chatgraph-principal';
export const TIMESTAMP_HEADER = 'x-chatgraph-timestamp';
export const NONCE_HEADER = 'x-chatgraph-nonce';
export const SIGNATURE_HEADER = 'x-chatgraph-signature';
/** The clock window of a signed request, either way, unless a service configures another. */
export const DEFAULT_MAX_SKEW_MS = 5000;
export const REQUEST_ID_HEADER = 'x-request-id';

const VERSION = 'v1';

function bodyDigest(body: string | Buffer): string {
  return hash('sha256', body, 'hex');
}

/**
 * Principals encoded for the header, by object: the router hands the same principal object (its
 * cache of verified credentials) to every request a client sends with one token.
 */
const encodedPrincipals = new WeakMap<Principal, string>();

function encodePrincipal(principal: Principal): string {
  let encoded = encodedPrincipals.get(principal);
  if (encoded === undefined) {
    encoded = Buffer.from(JSON.stringify(principal)).toString('base64url');
    encodedPrincipals.set(principal, encoded);
  }
  return encoded;
}

function mac(secret: string, timestamp: string, nonce: string, principal: string, digest: string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.${nonce}.${principal}.${digest}`).digest();
}

/** Signs one request: every call makes a new nonce, so a signed request can be accepted once. */
export function signRequest(secret: string, principal: Principal, body: string | Buffer, now = Date.now()): Record<string, string> {
  const encoded = encodePrincipal(principal);
  const timestamp = String(now);
  const nonce = randomUUID();
  const signature = mac(secret, timestamp, nonce, encoded, bodyDigest(body)).toString('hex');
  return {
    [PRINCIPAL_HEADER]: encoded,
    [TIMESTAMP_HEADER]: timestamp,
    [NONCE_HEADER]: nonce,
    [SIGNATURE_HEADER]: `${VERSION}=${signature}`,
  };
}

export type VerifyFailure = 'missing' | 'malformed' | 'stale' | 'bad-signature' | 'replayed';

export class SignatureError extends Error {
  readonly reason: VerifyFailure;
  constructor(reason: VerifyFailure) {
    super(`request signature ${reason}`);
    this.name = 'SignatureError';
    this.reason = reason;
  }
}

export interface VerifyOptions {
  /** How far the timestamp may be from now, either way. */
  maxSkewMs: number;
  now?: number;
  /** Nonces already accepted (the receiving instance's); without it a replay is not detected. */
  nonces?: NonceRegistry;
}

type HeaderBag = Record<string, string | string[] | undefined> | { get(name: string): string | null | undefined };

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null | undefined }).get(name) ?? undefined;
  }
  const v = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Returns the signed principal, or throws `SignatureError` saying why the request is refused. */
export function verifyRequest(secret: string, headers: HeaderBag, body: string | Buffer, options: VerifyOptions): Principal {
  const encoded = header(headers, PRINCIPAL_HEADER);
  const timestamp = header(headers, TIMESTAMP_HEADER);
  const nonce = header(headers, NONCE_HEADER);
  const signature = header(headers, SIGNATURE_HEADER);
  if (!encoded || !timestamp || !nonce || !signature) throw new SignatureError('missing');
  if (!/^\d{1,16}$/.test(timestamp) || !/^[0-9a-f-]{36}$/.test(nonce) || !signature.startsWith(`${VERSION}=`))
    throw new SignatureError('malformed');
  const given = Buffer.from(signature.slice(VERSION.length + 1), 'hex');
  const expected = mac(secret, timestamp, nonce, encoded, bodyDigest(body));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new SignatureError('bad-signature');
  // Checked after the MAC so an attacker learns nothing about the clock from a forged request.
  const now = options.now ?? Date.now();
  if (Math.abs(now - Number(timestamp)) > options.maxSkewMs) throw new SignatureError('stale');
  // Last, so only genuine, current requests take room in the registry.
  if (options.nonces && !options.nonces.claim(nonce, now)) throw new SignatureError('replayed');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw new SignatureError('malformed');
  }
  const principal = parsePrincipal(decoded);
  if (!principal) throw new SignatureError('malformed');
  return principal;
}
