import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { NonceRegistry } from './nonces';
import { parsePrincipal, type Principal } from './principal';
import { NONCE_HEADER, PRINCIPAL_HEADER, SignatureError, SIGNATURE_HEADER, TIMESTAMP_HEADER, type VerifyOptions } from './signing';

/**
 * Router -> subgraph signing for requests whose body is STREAMED (file uploads and downloads):
 * the router cannot hash a body it has not read without buffering it, so the signature covers the
 * method and the request target (path and query) instead of the body, with the same principal,
 * timestamp and nonce as `signing.ts`. What authorizes the body is a capability in the target (an
 * upload ticket), which the signature does cover. The MAC input starts with its own label, so a
 * streamed-request signature can never pass as a body signature, nor the other way round.
 */
const LABEL = 'chatgraph-streamed-v1';
const VERSION = 'v1';

function mac(secret: string, timestamp: string, nonce: string, principal: string, method: string, target: string): Buffer {
  return createHmac('sha256', secret).update(`${LABEL}\n${timestamp}.${nonce}.${principal}.${method.toUpperCase()} ${target}`).digest();
}

/** Signs a streamed request to `target` (path and query, e.g. `/files/uploads/abc`). */
export function signStreamedRequest(
  secret: string,
  principal: Principal,
  method: string,
  target: string,
  now = Date.now(),
): Record<string, string> {
  const encoded = Buffer.from(JSON.stringify(principal)).toString('base64url');
  const timestamp = String(now);
  const nonce = randomUUID();
  return {
    [PRINCIPAL_HEADER]: encoded,
    [TIMESTAMP_HEADER]: timestamp,
    [NONCE_HEADER]: nonce,
    [SIGNATURE_HEADER]: `${VERSION}=${mac(secret, timestamp, nonce, encoded, method, target).toString('hex')}`,
  };
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Returns the signed principal of a streamed request, or throws `SignatureError` saying why it is refused. */
export function verifyStreamedRequest(secret: string, headers: Headers, method: string, target: string, options: VerifyOptions): Principal {
  const encoded = header(headers, PRINCIPAL_HEADER);
  const timestamp = header(headers, TIMESTAMP_HEADER);
  const nonce = header(headers, NONCE_HEADER);
  const signature = header(headers, SIGNATURE_HEADER);
  if (!encoded || !timestamp || !nonce || !signature) throw new SignatureError('missing');
  if (!/^\d{1,16}$/.test(timestamp) || !/^[0-9a-f-]{36}$/.test(nonce) || !signature.startsWith(`${VERSION}=`))
    throw new SignatureError('malformed');
  const given = Buffer.from(signature.slice(VERSION.length + 1), 'hex');
  const expected = mac(secret, timestamp, nonce, encoded, method, target);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new SignatureError('bad-signature');
  const now = options.now ?? Date.now();
  if (Math.abs(now - Number(timestamp)) > options.maxSkewMs) throw new SignatureError('stale');
  if (options.nonces && !(options.nonces as NonceRegistry).claim(nonce, now)) throw new SignatureError('replayed');
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
