import mongoose from 'mongoose';
import { isUnavailable, toPortError } from '../../src/store/mongo/driverErrors';
import { DocumentStoreUnavailableError } from '../../src/store';

/**
 * The classification of driver errors, on errors built the way the driver builds them (its bulk
 * executor wraps any failure that is not a write error in a `MongoBulkWriteError`). The real
 * connection cut is in mongoConnectionCut.real.test.ts; this pins the one shape it cannot force
 * every time: a network error on a connection the pool had already reset carries no
 * `ResetPool` label (the driver labels only an outage's first error), so only what the bulk error
 * wraps tells it is an outage.
 */

const { MongoBulkWriteError, MongoNetworkError, MongoServerError } = mongoose.mongo;

/** An empty bulk result, as the driver passes one when the batch never completed. */
const noResult = {} as ConstructorParameters<typeof MongoBulkWriteError>[1];

it('a bulk write cut by a lost connection is unavailable, labelled or not', () => {
  const closed = new MongoNetworkError('connection 7 to 127.0.0.1:27027 closed');
  expect(closed.hasErrorLabel('ResetPool')).toBe(false);
  const bulk = new MongoBulkWriteError(closed, noResult);
  expect(isUnavailable(bulk)).toBe(true);
  expect(toPortError(bulk, 'collection messages')).toBeInstanceOf(DocumentStoreUnavailableError);
});

it('a bulk write refused by the server for a bad request stays what it is', () => {
  const refused = new MongoBulkWriteError({ message: 'Document failed validation', code: 121, writeErrors: [] }, noResult);
  expect(isUnavailable(refused)).toBe(false);
  expect(toPortError(refused, 'collection messages')).toBe(refused);
  const wrappedRefusal = new MongoBulkWriteError(new MongoServerError({ message: 'bad value', code: 2 }), noResult);
  expect(isUnavailable(wrappedRefusal)).toBe(false);
});

it('a server shutting down under a bulk write is unavailable', () => {
  const shutdown = new MongoBulkWriteError(new MongoServerError({ message: 'interrupted at shutdown', code: 11600 }), noResult);
  expect(isUnavailable(shutdown)).toBe(true);
});
