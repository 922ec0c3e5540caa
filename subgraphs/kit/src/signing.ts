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
/**
 * The end client's user agent and network address as the router saw them (base64url JSON). Signed
 * with the rest when present, so a subgraph can trust it: a client cannot set it through the
 * router (the router overwrites it) nor around it (the MAC would not match).
 */
export const CLIENT_HEADER = 'x-chatgraph-client';
/** The longest user agent the router forwards; longer ones are cut, not refused. */
export const MAX_CLIENT_USER_AGENT = 200;
/** An address longer than any IPv6 text form is not one. */
const MAX_CLIENT_ADDRESS = 64;

/** Who is at the other end of the router: `null` where the router did not know. */
export interface ClientInfo {
  readonly userAgent: string | null;
  readonly address: string | null;
}

/** No client information: service calls, subscriptions, requests signed before it existed. */
export const UNKNOWN_CLIENT: ClientInfo = Object.freeze({ userAgent: null, address: null });

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

/** `value` as a string of at most `max` characters, or null when it is not a non-empty string. */
function clip(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null;
}

/** Client headers by object: every subgraph fetch of one operation signs the same client. */
const encodedClients = new WeakMap<ClientInfo, string | undefined>();

/** The header value for `client`, or undefined when there is nothing to say. */
function encodeClient(client: ClientInfo | undefined): string | undefined {
  if (!client) return undefined;
  if (encodedClients.has(client)) return encodedClients.get(client);
  const encoded = encodeClientNow(client);
  encodedClients.set(client, encoded);
  return encoded;
}

function encodeClientNow(client: ClientInfo): string | undefined {
  const userAgent = clip(client.userAgent, MAX_CLIENT_USER_AGENT);
  const address = clip(client.address, MAX_CLIENT_ADDRESS);
  if (userAgent === null && address === null) return undefined;
  return Buffer.from(JSON.stringify({ userAgent, address })).toString('base64url');
}

function decodeClient(encoded: string): ClientInfo {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw new SignatureError('malformed');
  }
  if (decoded === null || typeof decoded !== 'object') throw new SignatureError('malformed');
  const { userAgent, address } = decoded as Record<string, unknown>;
  return { userAgent: clip(userAgent, MAX_CLIENT_USER_AGENT), address: clip(address, MAX_CLIENT_ADDRESS) };
}

function mac(secret: string, timestamp: string, nonce: string, principal: string, digest: string, client: string | undefined): Buffer {
  // Base64url and hex have no '.', so the client part cannot be confused with another field, and
  // a request without it is MACed exactly as before the header existed.
  const clientPart = client === undefined ? '' : `.${client}`;
  return createHmac('sha256', secret).update(`${timestamp}.${nonce}.${principal}.${digest}${clientPart}`).digest();
}

/**
 * Signs one request: every call makes a new nonce, so a signed request can be accepted once.
 * `client` (the end client behind the router) is signed and sent too when known.
 */
export function signRequest(
  secret: string,
  principal: Principal,
  body: string | Buffer,
  now = Date.now(),
  client?: ClientInfo,
): Record<string, string> {
  const encoded = encodePrincipal(principal);
  const encodedClient = encodeClient(client);
  const timestamp = String(now);
  const nonce = randomUUID();
  const signature = mac(secret, timestamp, nonce, encoded, bodyDigest(body), encodedClient).toString('hex');
  return {
    [PRINCIPAL_HEADER]: encoded,
    [TIMESTAMP_HEADER]: timestamp,
    [NONCE_HEADER]: nonce,
    [SIGNATURE_HEADER]: `${VERSION}=${signature}`,
    ...(encodedClient === undefined ? {} : { [CLIENT_HEADER]: encodedClient }),
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
  return verifySignedRequest(secret, headers, body, options).principal;
}

/** What a verified request says: who calls, and from which client (unknown when not sent). */
export interface VerifiedRequest {
  principal: Principal;
  client: ClientInfo;
}

/**
 * `verifyRequest` with the signed client information too: a client header that was added,
 * altered or removed after signing fails as `bad-signature`.
 */
export function verifySignedRequest(secret: string, headers: HeaderBag, body: string | Buffer, options: VerifyOptions): VerifiedRequest {
  const encoded = header(headers, PRINCIPAL_HEADER);
  const timestamp = header(headers, TIMESTAMP_HEADER);
  const nonce = header(headers, NONCE_HEADER);
  const signature = header(headers, SIGNATURE_HEADER);
  if (!encoded || !timestamp || !nonce || !signature) throw new SignatureError('missing');
  if (!/^\d{1,16}$/.test(timestamp) || !/^[0-9a-f-]{36}$/.test(nonce) || !signature.startsWith(`${VERSION}=`))
    throw new SignatureError('malformed');
  const given = Buffer.from(signature.slice(VERSION.length + 1), 'hex');
  const encodedClient = header(headers, CLIENT_HEADER);
  const expected = mac(secret, timestamp, nonce, encoded, bodyDigest(body), encodedClient);
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
  return { principal, client: encodedClient === undefined ? UNKNOWN_CLIENT : decodeClient(encodedClient) };
}
