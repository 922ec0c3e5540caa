import type mongoose from 'mongoose';
import type { IndexSpec } from '../port';
import type { ServerRow } from './context';
import { indexName } from '../subset';
import { isDuplicateKey } from './driverErrors';
import type { AdapterLogger as MongoStoreLogger } from '../../adapterLogger';

/**
 * Creating a collection's declared indexes (`CollectionSpec.indexes`; indexes declared inside a
 * mongoose schema are ignored, as the embedded adapter ignores them). Idempotent: an index that
 * already exists with the same definition is left alone.
 *
 * Sparse unique indexes mean "a document missing any indexed field is left out" in the port.
 * For one field MongoDB's `sparse: true` is exactly that. For several fields MongoDB's sparse
 * only leaves out documents missing all of them, so the port's meaning needs a partial index
 * (`$exists` on each field). FerretDB refuses partial indexes; there the store logs the refused
 * option and creates `sparse: true` instead, which keeps the behaviour on FerretDB because its
 * unique indexes already leave out documents with a missing field (probe.ts checks that).
 */

interface Attempt {
  options: mongoose.mongo.CreateIndexesOptions;
  /** The next attempt when the server refuses an option of this one. */
  fallback?: { option: string; options: mongoose.mongo.CreateIndexesOptions };
}

function attemptFor(spec: IndexSpec): Attempt {
  const base: mongoose.mongo.CreateIndexesOptions = { name: indexName(spec), ...(spec.unique ? { unique: true } : {}) };
  const fields = Object.keys(spec.fields);
  if (!spec.sparse) return { options: base };
  if (fields.length === 1 || !spec.unique) return { options: { ...base, sparse: true } };
  const partialFilterExpression = Object.fromEntries(fields.map((field) => [field, { $exists: true }]));
  return {
    options: { ...base, partialFilterExpression },
    fallback: { option: 'partialFilterExpression', options: { ...base, sparse: true } },
  };
}

/** A server refusing an index option it does not implement (FerretDB: NotImplemented, code 238). */
function isRefusedOption(error: unknown): boolean {
  const code = error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return code === 238 || (error instanceof Error && /not implemented/i.test(error.message));
}

/** Index options that are not "the same index" to MongoDB (IndexOptionsConflict, IndexKeySpecsConflict). */
function isConflict(error: unknown): boolean {
  const code = error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return code === 85 || code === 86;
}

async function createOne(collection: mongoose.mongo.Collection<ServerRow>, spec: IndexSpec, logger: MongoStoreLogger): Promise<void> {
  let attempt: Attempt | undefined = attemptFor(spec);
  const name = indexName(spec);
  while (attempt) {
    try {
      await collection.createIndex(spec.fields, attempt.options);
      return;
    } catch (error) {
      if (attempt.fallback && isRefusedOption(error)) {
        logger.warn(
          { collection: collection.collectionName, index: name, option: attempt.fallback.option, err: error },
          'index option refused by the server; using sparse instead',
        );
        attempt = { options: attempt.fallback.options };
        continue;
      }
      if (isDuplicateKey(error))
        throw new Error(`cannot build unique index ${name} of ${collection.collectionName}: stored documents already hold duplicate keys`, {
          cause: error,
        });
      if (isConflict(error)) {
        throw new Error(
          `index ${name} of ${collection.collectionName} exists with another definition: drop it so the store can create it`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

/** Creates every declared index of one collection, one after another (SQLite-backed servers lock per write). */
export async function ensureIndexes(
  collection: mongoose.mongo.Collection<ServerRow>,
  specs: readonly IndexSpec[],
  logger: MongoStoreLogger,
): Promise<void> {
  for (const spec of specs) await createOne(collection, spec, logger);
}
