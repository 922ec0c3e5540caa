import mongoose from 'mongoose';
import { UnsupportedQueryError } from '../errors';
import { DocumentStoreUnavailableError } from '../unavailable';

/**
 * Classifying what the driver and the server throw. Duplicate keys become `DuplicateKeyError`
 * in uniqueness.ts (naming the index needs the collection's specs); this file answers "is it a
 * duplicate key?", "is the server unreachable?" and turns the rest into port errors.
 */

const { MongoError, MongoNetworkError, MongoServerSelectionError, MongoTopologyClosedError, MongoNotConnectedError, MongoServerError } =
  mongoose.mongo;

/** Server codes meaning "not now" (shutting down, stepping down, unreachable host), not "wrong request". */
const UNAVAILABLE_CODES = new Set([6, 7, 89, 91, 189, 9001, 10107, 11600, 11602, 13435, 13436]);

function codeOf(error: unknown): unknown {
  return error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * True for a unique-index violation: code 11000 from MongoDB and from FerretDB inserts. FerretDB
 * 1.24 reports a clash caused by an update or replace as `InternalError` (code 1) carrying
 * SQLite's "UNIQUE constraint failed" instead, so that is recognised too.
 */
export function isDuplicateKey(error: unknown): boolean {
  const code = codeOf(error);
  if (code === 11000 || code === 11001) return true;
  return code === 1 && /UNIQUE constraint failed/.test(messageOf(error));
}

/** The index name a duplicate-key message gives, when it gives one (MongoDB does, FerretDB's inserts do not). */
export function duplicateIndexName(error: unknown, known: readonly string[]): string | undefined {
  const message = messageOf(error);
  const mongo = /index: (\S+) dup key/.exec(message);
  if (mongo?.[1]) return mongo[1];
  // FerretDB/SQLite names its indexes `<collection>_<hash>_<index name>`.
  const sqlite = /index '([^']+)'/.exec(message)?.[1];
  if (sqlite === undefined) return undefined;
  return [...known].sort((a, b) => b.length - a.length).find((name) => sqlite.endsWith(`_${name}`));
}

/**
 * What a bulk write error wraps: the driver puts a failure that is not a write error (the
 * connection closed mid-write, the pool cleared) in a `MongoBulkWriteError`, keeping the original
 * as `errorResponse`. Only the first failure of an outage is labelled `ResetPool`; the errors of
 * connections already stale by then (others in flight when the server went away) carry no label,
 * so without looking inside they read as an unknown server error, and clients got INTERNAL.
 */
function wrappedBy(error: unknown): unknown {
  if (!(error instanceof MongoError)) return undefined;
  const inner = (error as { errorResponse?: unknown }).errorResponse ?? error.cause;
  return inner instanceof Error && inner !== error ? inner : undefined;
}

/** True when the error says the server cannot be reached now (as opposed to a refused request). */
export function isUnavailable(error: unknown, depth = 0): boolean {
  const inner = wrappedBy(error);
  if (inner !== undefined && depth < 3 && isUnavailable(inner, depth + 1)) return true;
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) return true;
  if (error instanceof MongoTopologyClosedError || error instanceof MongoNotConnectedError) return true;
  // mongoose wraps the initial connection's selection failure in its own class.
  if (error instanceof Error && error.name === 'MongooseServerSelectionError') return true;
  if (error instanceof MongoError && (error.hasErrorLabel('RetryableWriteError') || error.hasErrorLabel('ResetPool'))) return true;
  return error instanceof MongoServerError && UNAVAILABLE_CODES.has(Number(error.code));
}

/**
 * Port errors for what is not a duplicate key: unreachable server -> `DocumentStoreUnavailableError`,
 * a filter value mongoose cannot cast to the schema's type -> `UnsupportedQueryError`; anything
 * else is returned unchanged.
 */
export function toPortError(error: unknown, where: string): unknown {
  if (isUnavailable(error))
    return new DocumentStoreUnavailableError(`document store unavailable (${where}): ${messageOf(error)}`, { cause: error });
  if (error instanceof mongoose.Error.CastError) {
    return new UnsupportedQueryError(`${where}: value for ${error.path} cannot be cast to the schema's ${error.kind}`);
  }
  return error;
}
