import { Schema } from 'mongoose';
import type { Role } from '@chatgraph/kit';
import type { Collection, CollectionSpec, DocumentStore, StoredDocument } from '@chatgraph/kit/store';
import { addOutbox, OUTBOX_INDEX, type OutboxFields } from '@chatgraph/kit/events';
import { flowLimitsSpec, type FlowLimitDoc } from './flowLimits';

/**
 * Identity's documents. Each mongoose schema is the one definition of a document's shape and
 * validation, on the embedded adapter and on MongoDB alike. Expiry is a field checked in every
 * query (no TTL indexes), and no write spans two documents (no transactions).
 */

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A user; its `identity.user.v1` events ride on its own outbox, written with each change. */
export interface UserDoc extends StoredDocument, OutboxFields {
  /** Trimmed and lower-cased; unique. */
  email: string;
  name: string;
  role: Role;
  /** Absent on accounts created before it existed: active. A disabled account cannot sign in or use its tokens and keys. */
  status?: 'active' | 'disabled';
  emailVerified: boolean;
  /** argon2id PHC string. Never leaves this service. */
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
}

const userSchema = new Schema<UserDoc>(
  {
    _id: { type: String },
    email: { type: String, required: true, maxlength: 254, match: EMAIL_SHAPE },
    name: { type: String, required: true, minlength: 1, maxlength: 100 },
    role: { type: String, required: true, enum: ['USER', 'ADMIN'], default: 'USER' },
    status: { type: String, enum: ['active', 'disabled'] },
    emailVerified: { type: Boolean, required: true, default: false },
    passwordHash: { type: String, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

/**
 * One sign-in: a refresh-token family. Only hashes of refresh tokens are stored. A session opened
 * by signing in carries its `identity.session.v1` `session.started` on its own outbox.
 */
export interface SessionDoc extends StoredDocument, OutboxFields {
  userId: string;
  /** SHA-256 of the one refresh token that may be used next. */
  refreshHash: string;
  /** Hashes of recently rotated-out tokens, newest first: presenting one is token reuse. */
  previousHashes: string[];
  createdAt: Date;
  lastUsedAt: Date;
  /** Absolute end of the session; refreshing does not extend it. */
  expiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
}

const sessionSchema = new Schema<SessionDoc>(
  {
    _id: { type: String },
    userId: { type: String, required: true },
    refreshHash: { type: String, required: true },
    previousHashes: { type: [String], default: [] },
    createdAt: { type: Date, required: true },
    lastUsedAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
    revokedReason: {
      type: String,
      default: null,
      enum: ['logout', 'logout-everywhere', 'password-changed', 'password-reset', 'refresh-token-reuse', 'account-disabled'],
    },
  },
  { versionKey: false },
);

export const API_KEY_SCOPES = ['read', 'write'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** An API key; `_id` is the key's public id (the part after `cgk_`). */
export interface ApiKeyDoc extends StoredDocument {
  ownerId: string;
  name: string;
  /** The first characters of the key, shown so a user can recognise it. */
  prefix: string;
  /** SHA-256 of the whole key. */
  keyHash: string;
  scopes: ApiKeyScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

const apiKeySchema = new Schema<ApiKeyDoc>(
  {
    _id: { type: String },
    ownerId: { type: String, required: true },
    name: { type: String, required: true, minlength: 1, maxlength: 100 },
    prefix: { type: String, required: true },
    keyHash: { type: String, required: true },
    scopes: { type: [{ type: String, enum: API_KEY_SCOPES }], default: [...API_KEY_SCOPES] },
    createdAt: { type: Date, required: true },
    lastUsedAt: { type: Date, default: null },
    expiresAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
  },
  { versionKey: false },
);

/** An Ed25519 key pair that signs access tokens; `_id` is the JWT `kid`. */
export interface SigningKeyDoc extends StoredDocument {
  publicKeyPem: string;
  privateKeyPem: string;
  createdAt: Date;
  /** Set when a newer key took over; the key stays published until its tokens have expired. */
  retiredAt: Date | null;
}

const signingKeySchema = new Schema<SigningKeyDoc>(
  {
    _id: { type: String },
    publicKeyPem: { type: String, required: true },
    privateKeyPem: { type: String, required: true },
    createdAt: { type: Date, required: true },
    retiredAt: { type: Date, default: null },
  },
  { versionKey: false },
);

export const ACCOUNT_TOKEN_PURPOSES = ['verify-email', 'reset-password'] as const;
export type AccountTokenPurpose = (typeof ACCOUNT_TOKEN_PURPOSES)[number];

/** A single-use token sent by mail (email verification, password reset), stored hashed. */
export interface AccountTokenDoc extends StoredDocument {
  purpose: AccountTokenPurpose;
  userId: string;
  /** The address the mail went to: a token only counts for the address it was sent to. */
  email: string;
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

const accountTokenSchema = new Schema<AccountTokenDoc>(
  {
    _id: { type: String },
    purpose: { type: String, required: true, enum: ACCOUNT_TOKEN_PURPOSES },
    userId: { type: String, required: true },
    email: { type: String, required: true },
    tokenHash: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
  },
  { versionKey: false },
);

/**
 * Once-only facts about the deployment. `first-user` is claimed by an insert (unique `_id`), so
 * exactly one account becomes the bootstrap ADMIN even when two register at the same moment.
 */
export interface IdentityMetaDoc extends StoredDocument {
  userId: string;
  createdAt: Date;
}

const identityMetaSchema = new Schema<IdentityMetaDoc>(
  {
    _id: { type: String },
    userId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

/**
 * Carries `identity.user.v1` events to the outbox relay. Identity's changes span several
 * documents (a user, its sessions, keys and tokens), so each event rides on a document of its own,
 * written first and stored as a tombstone: the relay publishes it, then removes the document.
 */
export interface IdentityOutboxDoc extends StoredDocument, OutboxFields {
  userId: string;
  createdAt: Date;
}

const identityOutboxSchema = new Schema<IdentityOutboxDoc>(
  {
    _id: { type: String },
    userId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
addOutbox(identityOutboxSchema);
addOutbox(userSchema);
addOutbox(sessionSchema);

const users: CollectionSpec<UserDoc> = {
  name: 'users',
  schema: userSchema,
  indexes: [{ fields: { email: 1 }, unique: true }, { fields: { createdAt: 1 } }, { fields: { role: 1 } }, OUTBOX_INDEX],
};
const sessions: CollectionSpec<SessionDoc> = {
  name: 'sessions',
  schema: sessionSchema,
  indexes: [{ fields: { userId: 1 } }, OUTBOX_INDEX],
};
const apiKeys: CollectionSpec<ApiKeyDoc> = {
  name: 'api_keys',
  schema: apiKeySchema,
  indexes: [{ fields: { keyHash: 1 }, unique: true }, { fields: { ownerId: 1, createdAt: -1 } }],
};
const signingKeys: CollectionSpec<SigningKeyDoc> = {
  name: 'signing_keys',
  schema: signingKeySchema,
  indexes: [{ fields: { createdAt: -1 } }],
};
const accountTokens: CollectionSpec<AccountTokenDoc> = {
  name: 'account_tokens',
  schema: accountTokenSchema,
  indexes: [{ fields: { tokenHash: 1 }, unique: true }, { fields: { userId: 1, purpose: 1 } }],
};
const meta: CollectionSpec<IdentityMetaDoc> = { name: 'identity_meta', schema: identityMetaSchema };
const outbox: CollectionSpec<IdentityOutboxDoc> = { name: 'identity_outbox', schema: identityOutboxSchema, indexes: [OUTBOX_INDEX] };

/** Identity's collections: names, schemas and indexes. */
export const collectionSpecs = { users, sessions, apiKeys, signingKeys, accountTokens, meta, outbox };

export interface IdentityCollections {
  users: Collection<UserDoc>;
  sessions: Collection<SessionDoc>;
  apiKeys: Collection<ApiKeyDoc>;
  signingKeys: Collection<SigningKeyDoc>;
  accountTokens: Collection<AccountTokenDoc>;
  meta: Collection<IdentityMetaDoc>;
  flowLimits: Collection<FlowLimitDoc>;
  outbox: Collection<IdentityOutboxDoc>;
}

/** Identity's collections on a document store (registering them creates their indexes on start). */
export function identityCollections(store: DocumentStore): IdentityCollections {
  return {
    users: store.collection<UserDoc>(users),
    sessions: store.collection<SessionDoc>(sessions),
    apiKeys: store.collection<ApiKeyDoc>(apiKeys),
    signingKeys: store.collection<SigningKeyDoc>(signingKeys),
    accountTokens: store.collection<AccountTokenDoc>(accountTokens),
    meta: store.collection<IdentityMetaDoc>(meta),
    flowLimits: store.collection<FlowLimitDoc>(flowLimitsSpec),
    outbox: store.collection<IdentityOutboxDoc>(outbox),
  };
}
