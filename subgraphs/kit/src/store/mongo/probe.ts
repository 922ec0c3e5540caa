import { randomBytes } from 'node:crypto';
import type mongoose from 'mongoose';
import { isDuplicateKey } from './driverErrors';

/**
 * What the server guarantees beyond the wire protocol. Unique-index behaviour is found by trying
 * it in a scratch collection (a later FerretDB may fix it); update atomicity cannot be tested
 * deterministically (a race may happen not to occur), so it is read from `buildInfo`: FerretDB
 * announces itself with a `ferretdbVersion` field.
 */
export interface ServerTraits {
  /** A second document missing the indexed field clashes (MongoDB: missing is null). */
  missingIsNull: boolean;
  /** Two arrays sharing an element clash (MongoDB: multikey indexes). */
  perElement: boolean;
  /** A filter-then-write update is atomic across connections (MongoDB yes, FerretDB 1.x no). */
  atomicUpdates: boolean;
}

async function clashes(collection: mongoose.mongo.Collection<{ _id: string }>, first: object, second: object): Promise<boolean> {
  await collection.insertOne({ _id: randomBytes(8).toString('hex'), ...first });
  try {
    await collection.insertOne({ _id: randomBytes(8).toString('hex'), ...second });
    return false;
  } catch (error) {
    if (isDuplicateKey(error)) return true;
    throw error;
  }
}

export async function probeServer(db: mongoose.mongo.Db): Promise<ServerTraits> {
  const info = await db.admin().command({ buildInfo: 1 });
  const atomicUpdates = !('ferretdbVersion' in info);
  const collection = db.collection<{ _id: string }>(`chatgraph_probe_${randomBytes(6).toString('hex')}`);
  try {
    await collection.createIndex({ k: 1 }, { unique: true });
    await collection.createIndex({ m: 1 }, { unique: true });
    const missingIsNull = await clashes(collection, {}, {});
    const perElement = await clashes(collection, { k: 1, m: ['a', 'b'] }, { k: 2, m: ['b', 'c'] });
    return { missingIsNull, perElement, atomicUpdates };
  } finally {
    await collection.drop().catch(() => undefined);
  }
}
