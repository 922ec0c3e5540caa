import type mongoose from 'mongoose';
import type { KeyedLock } from '../../durability/keyedLock';
import type { RevisionClaims } from './claims';
import type { UniqueIndexes } from './uniqueness';
import type { ModelValidator } from '../validation';

/** A document as the driver sees it: string ids, as every document written through the port has. */
export interface ServerRow {
  _id: string;
  [field: string]: unknown;
}

/** What one collection's operations work with once the store is connected. */
export interface CollectionContext {
  name: string;
  /** The collection's mongoose model on the store's connection: lean reads and validation. */
  model: mongoose.Model<unknown>;
  /** The driver's collection: writes of already validated documents (no second casting pass). */
  rows: mongoose.mongo.Collection<ServerRow>;
  validator: ModelValidator;
  unique: UniqueIndexes;
  /** Per-document queue for updates in this process (see updating.ts). */
  locks: KeyedLock;
  /** Set on servers whose updates are not atomic across connections (claims.ts). */
  claims?: RevisionClaims;
}
