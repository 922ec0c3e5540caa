import type { IncomingMessage } from 'node:http';

/** `::ffff:1.2.3.4` (IPv4 on a dual-stack socket) is `1.2.3.4`: one client, one key. */
function normalize(address: string): string {
  const trimmed = address.trim();
  return trimmed.startsWith('::ffff:') && trimmed.includes('.') ? trimmed.slice(7) : trimmed;
}

/**
 * The client's address for per-IP limits and bans. With `trustedProxyHops` = 0 (default) it is
 * the socket's peer: `X-Forwarded-For` is written by the client and would let anyone pick a key.
 * Behind N proxies that each append the address they saw, the client is the N-th entry from the
 * right (entries further left were written by the client and are ignored).
 */
export function clientAddress(req: IncomingMessage, trustedProxyHops: number): string {
  const peer = normalize(req.socket.remoteAddress ?? 'unknown');
  if (trustedProxyHops <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const raw = Array.isArray(header) ? header.join(',') : header;
  if (!raw) return peer;
  const hops = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  const entry = hops[hops.length - trustedProxyHops];
  return entry && /^[0-9a-fA-F.:]{2,64}$/.test(entry) ? normalize(entry) : peer;
}
