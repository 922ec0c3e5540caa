import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Schema } from 'mongoose';
import {
  createEmbeddedStore,
  type Collection,
  type CollectionSpec,
  type DocumentStore,
  type EmbeddedStoreOptions,
  type StoredDocument,
} from '../../src/store';
import { membershipsSpec, peopleSpec, type Membership, type Person } from './contractFixtures';

/** Helpers for the embedded-adapter tests. */

/** A fresh temporary data directory. */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'chatgraph-store-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface LogEntry {
  level: 'warn' | 'info';
  msg: string;
  obj: object;
}

/** A logger that records what the store reports. */
export function recordingLogger(): { entries: LogEntry[]; warn(obj: object, msg?: string): void; info(obj: object, msg?: string): void } {
  const entries: LogEntry[] = [];
  return {
    entries,
    warn: (obj, msg) => entries.push({ level: 'warn', msg: msg ?? '', obj }),
    info: (obj, msg) => entries.push({ level: 'info', msg: msg ?? '', obj }),
  };
}

/** A collection holding anything (a Mixed field), for value-model and ordering tests. */
export interface Bag extends StoredDocument {
  value?: unknown;
  rank?: number;
}

export const bagsSpec: CollectionSpec<Bag> = {
  name: 'bags',
  schema: new Schema<Bag>({ _id: { type: String }, value: { type: Schema.Types.Mixed }, rank: { type: Number } }, { versionKey: false }),
  indexes: [{ fields: { rank: 1 } }],
};

export interface OpenStore {
  store: DocumentStore;
  people: Collection<Person>;
  memberships: Collection<Membership>;
  bags: Collection<Bag>;
}

/** Creates and starts an embedded store on `dataDir` with the contract's collections. */
export async function openStore(dataDir: string, options: Omit<EmbeddedStoreOptions, 'dataDir'> = {}): Promise<OpenStore> {
  const store = createEmbeddedStore({ dataDir, ...options });
  const people = store.collection(peopleSpec);
  const memberships = store.collection(membershipsSpec);
  const bags = store.collection(bagsSpec);
  await store.start();
  return { store, people, memberships, bags };
}

/** Never compacts: keeps every operation in the journal. */
export const NO_COMPACTION = { compaction: { minBytes: Number.MAX_SAFE_INTEGER } };
/** Compacts whenever the journal holds more operations than live documents. */
export const EAGER_COMPACTION = { compaction: { minBytes: 0, ratio: 1 } };
