/**
 * Who is calling. The router authenticates the caller once and forwards the principal to
 * subgraphs in a signed header (see `signing.ts`); subgraphs never parse tokens themselves.
 */
export type Role = 'USER' | 'ADMIN';

/** Immutable once made: the signing code remembers each principal's encoding by object. */
export type Principal =
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'user';
      readonly userId: string;
      readonly role: Role;
      /** How the caller proved it: an access token (with its session) or an API key (with scopes). */
      readonly via: 'jwt' | 'apiKey';
      readonly sessionId?: string;
      readonly apiKeyId?: string;
      readonly scopes?: readonly string[];
    }
  /** The router itself, e.g. composing the supergraph or validating an API key. */
  | { readonly kind: 'service'; readonly name: string };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** Validates the shape of a decoded principal; returns null when it is not one. */
export function parsePrincipal(value: unknown): Principal | null {
  if (value === null || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  switch (v.kind) {
    case 'anonymous':
      return ANONYMOUS;
    case 'service':
      return typeof v.name === 'string' ? { kind: 'service', name: v.name } : null;
    case 'user': {
      if (typeof v.userId !== 'string' || (v.role !== 'USER' && v.role !== 'ADMIN')) return null;
      if (v.via !== 'jwt' && v.via !== 'apiKey') return null;
      const p: UserPrincipal = {
        kind: 'user',
        userId: v.userId,
        role: v.role,
        via: v.via,
        ...(typeof v.sessionId === 'string' ? { sessionId: v.sessionId } : {}),
        ...(typeof v.apiKeyId === 'string' ? { apiKeyId: v.apiKeyId } : {}),
        ...(isStringArray(v.scopes) ? { scopes: v.scopes } : {}),
      };
      return p;
    }
    default:
      return null;
  }
}
