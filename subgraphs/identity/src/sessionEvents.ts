import { isIP } from 'node:net';
import { outboxEvent, type OutboxEvent } from '@chatgraph/kit/events';
import { identitySessionV1 } from '@chatgraph/schema';

/** How a sign-in happened and from what device, as far as identity knows it. */
export interface SignIn {
  method: 'password';
  /** The client's User-Agent, when known. */
  userAgent?: string | null;
  /** The client's address, when known: only its prefix leaves identity (`coarseIp`). */
  ip?: string | null;
}

/**
 * The network an address is in, never the address itself: an IPv4 /24 (`203.0.113.0/24`), an IPv6
 * /48 (`2001:db8:1::/48`); null for anything that is not an IP address. Enough for a user to tell
 * "that was me at home" from "that was not me", without spreading their exact address to
 * notifications and e-mails.
 */
export function coarseIp(ip: string | null | undefined): string | null {
  if (!ip) return null;
  const address = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const family = isIP(address);
  if (family === 4) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  if (family !== 6) return null;
  const [head = ''] = address.split('::');
  const groups = head.split(':').filter((group) => group !== '');
  // Fewer than 3 groups before `::`: the rest of the /48 is zeros.
  const prefix = [...groups, '0', '0', '0'].slice(0, 3).map((group) => group.toLowerCase());
  return `${prefix.join(':')}::/48`;
}

/** `identity.session.v1` `session.started` for the new session's own outbox. */
export function sessionStarted(userId: string, sessionId: string, signIn: SignIn, at: Date): OutboxEvent {
  const userAgent = signIn.userAgent?.trim().slice(0, 200) || null;
  const event = identitySessionV1.create(
    'session.started',
    { userId, sessionId },
    { method: signIn.method, userAgent, ipPrefix: coarseIp(signIn.ip) },
    { occurredAt: at },
  );
  return outboxEvent(identitySessionV1.topic, userId, event);
}
