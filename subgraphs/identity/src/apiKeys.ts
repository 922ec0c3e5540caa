import { randomBytes } from 'node:crypto';
import { codedError } from '@chatgraph/kit';
import type { Collection } from '@chatgraph/kit/store';
import type { PrincipalDirectory } from './principalDirectory';
import { API_KEY_SCOPES, type ApiKeyDoc, type ApiKeyScope } from './store';
import { randomSecret, sameDigest, sha256Hex } from './tokens';
import { validName } from './validation';

/** Every key starts with this, so the router (and secret scanners) can tell a key from a JWT. */
export const API_KEY_PREFIX = 'cgk_';
export const MAX_ACTIVE_API_KEYS = 25;
const MAX_EXPIRES_IN_DAYS = 3650;
/** `lastUsedAt` is coarse on purpose: a write per request would make every API call a store write. */
const LAST_USED_RESOLUTION_MS = 60_000;
const DAY_MS = 86_400_000;
const API_KEY_SHAPE = /^cgk_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;

/** What clients see of a key: never the secret, never its hash. */
export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
}

export interface CreateApiKeyInput {
  name: string;
  scopes?: string[] | null;
  expiresInDays?: number | null;
}

function toView(doc: ApiKeyDoc): ApiKeyView {
  return {
    id: doc._id,
    name: doc.name,
    prefix: doc.prefix,
    scopes: doc.scopes,
    createdAt: doc.createdAt,
    lastUsedAt: doc.lastUsedAt,
    expiresAt: doc.expiresAt,
  };
}

function validScopes(raw: string[] | null | undefined): ApiKeyScope[] {
  if (raw === null || raw === undefined) return [...API_KEY_SCOPES];
  const scopes = [...new Set(raw)];
  const unknown = scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw codedError('BAD_USER_INPUT', `Unknown scope ${unknown.join(', ')}; allowed: ${API_KEY_SCOPES.join(', ')}`, { field: 'scopes' });
  if (scopes.length === 0) throw codedError('BAD_USER_INPUT', 'An API key needs at least one scope', { field: 'scopes' });
  return scopes as ApiKeyScope[];
}

/**
 * API keys: `cgk_<16 hex public id>_<32 random bytes base64url>`. The public id finds the
 * record, the SHA-256 of the whole key proves possession (a fast hash suffices: the key has 256
 * bits of entropy, nothing to brute-force, and it is checked on every API call).
 */
export class ApiKeyManager {
  constructor(
    private readonly keys: Collection<ApiKeyDoc>,
    private readonly now: () => Date,
    private readonly principals: PrincipalDirectory,
  ) {}

  /** Creates a key; the returned secret is the only time the full key exists outside the caller. */
  async create(ownerId: string, input: CreateApiKeyInput): Promise<{ apiKey: ApiKeyView; secret: string }> {
    const name = validName(input.name, 'name');
    const scopes = validScopes(input.scopes);
    const days = input.expiresInDays;
    if (days !== null && days !== undefined && (!Number.isInteger(days) || days < 1 || days > MAX_EXPIRES_IN_DAYS)) {
      throw codedError('BAD_USER_INPUT', `expiresInDays must be between 1 and ${MAX_EXPIRES_IN_DAYS}`, { field: 'expiresInDays' });
    }
    const now = this.now();
    // Counted before inserting: two concurrent creations may pass together, which only matters at the margin.
    if ((await this.keys.count(this.activeFilter(ownerId, now))) >= MAX_ACTIVE_API_KEYS) {
      throw codedError('CONFLICT', `You already have ${MAX_ACTIVE_API_KEYS} active API keys; revoke one first`);
    }
    const id = randomBytes(8).toString('hex');
    const secret = `${API_KEY_PREFIX}${id}_${randomSecret()}`;
    const doc = await this.keys.insertOne({
      _id: id,
      ownerId,
      name,
      prefix: secret.slice(0, API_KEY_PREFIX.length + 8),
      keyHash: sha256Hex(secret),
      scopes,
      createdAt: now,
      lastUsedAt: null,
      expiresAt: days ? new Date(now.getTime() + days * DAY_MS) : null,
      revokedAt: null,
    });
    return { apiKey: toView(doc), secret };
  }

  /** The owner's keys that are not revoked (expired ones included, so they can be cleaned up), newest first. */
  async list(ownerId: string): Promise<ApiKeyView[]> {
    const docs = await this.keys.find({ ownerId, revokedAt: null }, { sort: { createdAt: -1, _id: -1 } });
    return docs.map(toView);
  }

  /** Revokes the owner's key. Someone else's key is NOT_FOUND, exactly like a missing one. */
  async revoke(ownerId: string, id: string): Promise<void> {
    const key = await this.keys.findOne({ _id: id, ownerId });
    if (!key) throw codedError('NOT_FOUND', 'API key not found');
    if (key.revokedAt) return;
    await this.keys.updateOne({ _id: id, ownerId, revokedAt: null }, { $set: { revokedAt: this.now() } });
    // Routers cache verified keys and keep sockets opened with them: the marker ends both within seconds.
    await this.principals.apiKeyRevoked(id, key.expiresAt);
  }

  /** The key's record when `key` is a valid, unrevoked, unexpired key; records use at most once a minute. */
  async verify(key: string): Promise<ApiKeyDoc | null> {
    const match = API_KEY_SHAPE.exec(key);
    if (!match) return null;
    const doc = await this.keys.findById(match[1] as string);
    const now = this.now();
    if (!doc || !sameDigest(doc.keyHash, sha256Hex(key))) return null;
    if (doc.revokedAt || (doc.expiresAt && doc.expiresAt.getTime() <= now.getTime())) return null;
    const stale = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    if (!doc.lastUsedAt || doc.lastUsedAt.getTime() <= stale.getTime()) {
      // Conditional so that concurrent requests write once, not once each.
      await this.keys.updateOne(
        { _id: doc._id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lte: stale } }] },
        { $set: { lastUsedAt: now } },
      );
    }
    return doc;
  }

  private activeFilter(ownerId: string, now: Date): Record<string, unknown> {
    return { ownerId, revokedAt: null, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] };
  }
}
