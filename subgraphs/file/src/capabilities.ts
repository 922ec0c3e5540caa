import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed capabilities in URLs: an upload ticket (send this file's bytes, once), a download link
 * (read this file's bytes, issued to its owner) and a share link (read this file's bytes as a
 * reader of one shared conversation, while the share lasts). Each kind has its own key, derived
 * from INTERNAL_SIGNING_SECRET with a purpose label, so none can pass as another nor as a router
 * signature. A token is `<base64url JSON {f: fileId, e: expiry ms, s?: shareId}>.<base64url
 * HMAC-SHA256>`: it names the file, when it stops working and (share links) the share; single use
 * (uploads) and a share's being active are checked in the store, not the token.
 */
export type CapabilityKind = 'upload' | 'download' | 'share';

/** Why a token is refused; `expired` only for a genuine token past its expiry. */
export type CapabilityFailure = 'malformed' | 'forged' | 'expired';

export class CapabilityError extends Error {
  constructor(readonly reason: CapabilityFailure) {
    super(`capability ${reason}`);
    this.name = 'CapabilityError';
  }
}

/** Longest token looked at: anything longer is malformed without computing a MAC. */
export const MAX_TOKEN_LENGTH = 300;
const TOKEN = /^[A-Za-z0-9_-]{1,200}\.[A-Za-z0-9_-]{43}$/;
const FILE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface Capability {
  fileId: string;
  expiresAt: Date;
  /** The share a share link is bound to (share links only, always there). */
  shareId?: string;
}

export class Capabilities {
  private readonly keys: Record<CapabilityKind, Buffer>;

  constructor(secret: string) {
    const derive = (label: string): Buffer => createHmac('sha256', secret).update(label).digest();
    this.keys = {
      upload: derive('chatgraph.file.upload-ticket.v1'),
      download: derive('chatgraph.file.download-link.v1'),
      share: derive('chatgraph.file.share-link.v1'),
    };
  }

  private mac(kind: CapabilityKind, claims: string): Buffer {
    return createHmac('sha256', this.keys[kind]).update(claims).digest();
  }

  /** A token for `fileId` that works until `expiresAt` (a share link: for readers of `shareId`). */
  issue(kind: CapabilityKind, fileId: string, expiresAt: Date, shareId?: string): string {
    const claims = Buffer.from(JSON.stringify({ f: fileId, e: expiresAt.getTime(), ...(shareId ? { s: shareId } : {}) })).toString(
      'base64url',
    );
    return `${claims}.${this.mac(kind, claims).toString('base64url')}`;
  }

  /** The capability a token grants, or `CapabilityError`. */
  verify(kind: CapabilityKind, token: string, now = new Date()): Capability {
    if (token.length > MAX_TOKEN_LENGTH || !TOKEN.test(token)) throw new CapabilityError('malformed');
    const [claims = '', signature = ''] = token.split('.');
    // The encoded signatures are compared, not the decoded bytes: base64url's last character has
    // unused bits, so decoding would let several spellings of one signature through (a token is
    // then not one string, and a "changed" token could still work).
    const given = Buffer.from(signature, 'utf8');
    const expected = Buffer.from(this.mac(kind, claims).toString('base64url'), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new CapabilityError('forged');
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8'));
    } catch {
      throw new CapabilityError('malformed');
    }
    const { f, e, s } = (parsed ?? {}) as { f?: unknown; e?: unknown; s?: unknown };
    if (typeof f !== 'string' || !FILE_ID.test(f) || typeof e !== 'number') throw new CapabilityError('malformed');
    // A share link names its share; no other kind does.
    if (kind === 'share' ? typeof s !== 'string' || !FILE_ID.test(s) : s !== undefined) throw new CapabilityError('malformed');
    if (now.getTime() >= e) throw new CapabilityError('expired');
    return { fileId: f, expiresAt: new Date(e), ...(typeof s === 'string' ? { shareId: s } : {}) };
  }
}
