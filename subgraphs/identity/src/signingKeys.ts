import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { jwkFromPublicKey, newId, type Logger, type PublicJwk } from '@chatgraph/kit';
import type { Collection } from '@chatgraph/kit/store';
import type { SigningKeyDoc } from './store';

const DAY_MS = 86_400_000;
/** How long a process signs with the key it has cached before looking for a newer one. */
export const SIGNER_CACHE_MS = 60_000;
/** Slack for clock skew and for routers holding the JWKS (`max-age=60`). */
const PUBLICATION_SLACK_MS = 60_000;

export interface SigningKeyRingOptions {
  rotationDays: number;
  accessTokenTtlSeconds: number;
  now: () => Date;
  logger: Logger;
}

export interface ActiveSigningKey {
  kid: string;
  privateKey: KeyObject;
  createdAt: Date;
}

/**
 * The Ed25519 keys that sign access tokens, kept in the document store so every replica and
 * every restart signs with the same key and publishes the same JWKS.
 *
 * A rotation inserts a new key and retires only keys *older* than it, so two replicas rotating
 * at once leave the newer key active instead of retiring each other's (order: createdAt, then id). A retired key stays
 * published until every token it can have signed has expired: its retirement, plus the time a
 * replica may keep signing with a cached key, plus the token lifetime, plus slack.
 */
export class SigningKeyRing {
  private cached: { key: ActiveSigningKey; loadedAt: number } | undefined;

  constructor(
    private readonly keys: Collection<SigningKeyDoc>,
    private readonly options: SigningKeyRingOptions,
  ) {}

  /** How long after retirement a key is still published. */
  get publicationWindowMs(): number {
    return SIGNER_CACHE_MS + this.options.accessTokenTtlSeconds * 1000 + PUBLICATION_SLACK_MS;
  }

  /** Creates the first key, or rotates when the active one is older than the rotation period. */
  async rotateIfDue(): Promise<void> {
    const active = await this.loadActive();
    const now = this.options.now().getTime();
    if (!active) {
      await this.rotate('first start');
      return;
    }
    if (now - active.createdAt.getTime() >= this.options.rotationDays * DAY_MS) {
      await this.rotate('scheduled');
      return;
    }
    this.cached = { key: active, loadedAt: now };
  }

  /** Makes a new key the signing key and retires older ones. Returns the new `kid`. */
  async rotate(reason: 'first start' | 'scheduled' | 'on demand' = 'on demand'): Promise<string> {
    const now = this.options.now();
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const doc: SigningKeyDoc = {
      // Time-ordered, so (createdAt, _id) orders keys even when two share a millisecond.
      _id: newId(),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      createdAt: now,
      retiredAt: null,
    };
    await this.keys.insertOne(doc);
    await this.keys.updateMany(
      { retiredAt: null, $or: [{ createdAt: { $lt: now } }, { createdAt: now, _id: { $lt: doc._id } }] },
      { $set: { retiredAt: now } },
    );
    // Keys whose every token has expired are no longer needed by anyone.
    await this.keys.deleteMany({ retiredAt: { $ne: null, $lt: new Date(now.getTime() - this.publicationWindowMs) } });
    this.cached = { key: { kid: doc._id, privateKey, createdAt: now }, loadedAt: now.getTime() };
    this.options.logger.info({ kid: doc._id, reason }, 'new access-token signing key');
    return doc._id;
  }

  /** The key to sign with now. Reloaded at most once a minute, so a rotation elsewhere is picked up. */
  async signingKey(): Promise<ActiveSigningKey> {
    const now = this.options.now().getTime();
    if (this.cached && now - this.cached.loadedAt < SIGNER_CACHE_MS) return this.cached.key;
    const active = (await this.loadActive()) ?? (await this.loadActiveAfterRotation());
    this.cached = { key: active, loadedAt: now };
    return active;
  }

  /** Public keys of the active key and of retired keys whose tokens may still be valid. */
  async publishedKeys(): Promise<PublicJwk[]> {
    const oldest = new Date(this.options.now().getTime() - this.publicationWindowMs);
    const docs = await this.keys.find(
      { $or: [{ retiredAt: null }, { retiredAt: { $gte: oldest } }] },
      { sort: { createdAt: -1, _id: -1 } },
    );
    return docs.map((doc) => jwkFromPublicKey(doc._id, createPublicKey(doc.publicKeyPem)));
  }

  private async loadActive(): Promise<ActiveSigningKey | null> {
    const doc = await this.keys.findOne({ retiredAt: null }, { sort: { createdAt: -1, _id: -1 } });
    return doc ? { kid: doc._id, privateKey: createPrivateKey(doc.privateKeyPem), createdAt: doc.createdAt } : null;
  }

  private async loadActiveAfterRotation(): Promise<ActiveSigningKey> {
    await this.rotate('first start');
    const active = await this.loadActive();
    if (!active) throw new Error('no signing key after rotation');
    return active;
  }
}
