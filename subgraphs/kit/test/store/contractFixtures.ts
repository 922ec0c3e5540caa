import { Schema } from 'mongoose';
import type { Collection, CollectionSpec, DocumentStore, StoredDocument } from '../../src/store';

/** Collections, schemas and seed data shared by every part of the document-store contract. */

export interface Person extends StoredDocument {
  name: string;
  age?: number;
  email?: string;
  tags: string[];
  address?: { city?: string; zip?: string };
  items: Array<{ sku: string; qty: number }>;
  createdAt: Date;
  score: number;
  nickname?: string | null;
}

export interface Membership extends StoredDocument {
  orgId: string;
  userId: string;
  role: string;
}

export interface Account extends StoredDocument {
  handle?: string;
}

const personSchema = new Schema<Person>(
  {
    _id: { type: String },
    name: { type: String, required: true },
    age: { type: Number, min: 0 },
    email: { type: String },
    tags: { type: [String], default: [] },
    address: { city: String, zip: String },
    items: {
      type: [new Schema({ sku: { type: String, required: true }, qty: { type: Number, required: true } }, { _id: false })],
      default: [],
    },
    createdAt: { type: Date, required: true },
    score: { type: Number, default: 0 },
    nickname: { type: String },
  },
  { versionKey: false },
);

export const peopleSpec: CollectionSpec<Person> = {
  name: 'people',
  schema: personSchema,
  indexes: [{ fields: { email: 1 }, unique: true, sparse: true }, { fields: { age: 1 } }, { fields: { tags: 1, createdAt: -1 } }],
};

export const membershipsSpec: CollectionSpec<Membership> = {
  name: 'memberships',
  schema: new Schema<Membership>(
    {
      _id: { type: String },
      orgId: { type: String, required: true },
      userId: { type: String, required: true },
      role: { type: String, required: true },
    },
    { versionKey: false },
  ),
  indexes: [{ fields: { orgId: 1, userId: 1 }, unique: true }],
};

/** A unique index that is not sparse: a missing handle counts as null, so only one document may lack it. */
export const accountsSpec: CollectionSpec<Account> = {
  name: 'accounts',
  schema: new Schema<Account>({ _id: { type: String }, handle: { type: String } }, { versionKey: false }),
  indexes: [{ fields: { handle: 1 }, unique: true }],
};

const base = Date.UTC(2024, 0, 1);
/** A fixed instant `minutes` after 2024-01-01T00:00Z. */
export function at(minutes: number): Date {
  return new Date(base + minutes * 60_000);
}

export function seedPeople(): Person[] {
  return [
    {
      _id: 'p1',
      name: 'Ada',
      age: 36,
      email: 'ada@x',
      tags: ['math', 'code'],
      address: { city: 'London', zip: 'N1' },
      items: [{ sku: 'a', qty: 1 }],
      createdAt: at(1),
      score: 10,
    },
    { _id: 'p2', name: 'Bob', age: 25, tags: ['code'], address: { city: 'Paris' }, items: [], createdAt: at(2), score: 5, nickname: null },
    {
      _id: 'p3',
      name: 'Cy',
      tags: [],
      items: [
        { sku: 'b', qty: 2 },
        { sku: 'c', qty: 3 },
      ],
      createdAt: at(3),
      score: 7,
    },
    { _id: 'p4', name: 'Di', age: 41, email: 'di@x', tags: ['art'], address: { city: 'London' }, items: [], createdAt: at(4), score: 5 },
    { _id: 'p5', name: 'Ed', age: 25, tags: ['math'], items: [], createdAt: at(5), score: 1, nickname: 'eddie' },
  ];
}

/** A minimal valid person. */
export function person(id: string, extra: Partial<Person> = {}): Person {
  return { _id: id, name: `N-${id}`, tags: [], items: [], createdAt: at(0), score: 0, ...extra };
}

export function sortedIds(docs: readonly StoredDocument[]): string[] {
  return docs.map((doc) => doc._id).sort();
}

export interface StoreUnderTest {
  store: DocumentStore;
  cleanup: () => Promise<void>;
}

export interface ContractContext {
  store: DocumentStore;
  people: Collection<Person>;
  memberships: Collection<Membership>;
  accounts: Collection<Account>;
}

/** Each test reads the context through this, since `beforeEach` replaces it. */
export type GetContext = () => ContractContext;

/** Awaits a promise expected to reject and returns the error (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}
