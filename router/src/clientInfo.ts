import type { IncomingMessage } from 'node:http';
import { MAX_CLIENT_USER_AGENT, type ClientInfo } from '@chatgraph/kit';

/**
 * The end client of an HTTP request as subgraphs are told it: its `User-Agent` (cut to the length
 * the signed header carries) and `address` — rateLimit/clientAddress.ts's answer: the socket's
 * peer, or behind trusted proxies the `X-Forwarded-For` entry they appended.
 */
export function clientInfo(req: IncomingMessage, address: string): ClientInfo {
  const agent = req.headers['user-agent'];
  return {
    userAgent: typeof agent === 'string' && agent.length > 0 ? agent.slice(0, MAX_CLIENT_USER_AGENT) : null,
    address: address === 'unknown' || address === '' ? null : address,
  };
}
