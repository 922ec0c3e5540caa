import { IndexSet } from '../../src/store/embedded/indexes';
import type { StoredDoc } from '../../src/store/embedded/codec';

/**
 * The embedded store's lookup indexes answer `{ field: { $exists: true } }` from the index: the
 * outbox relay asks it on every pass, and a scan made each pass read every document of the
 * collection (conversation applied ~120 answers/s with 20,000 messages stored).
 */

const OUTBOX = '_outbox.event.id';

/** `IndexSet.apply` for a new document (a method ESLint's prefer-spread mistakes for Function.apply). */
function add(indexes: IndexSet, next: StoredDoc): void {
  const apply = indexes.apply.bind(indexes);
  apply(undefined, next);
}

function doc(id: string, pending: string[]): StoredDoc {
  return pending.length > 0 ? { _id: id, _outbox: pending.map((eventId) => ({ event: { id: eventId } })) } : { _id: id, _outbox: [] };
}

it('narrows an $exists: true query to the documents that hold the field, in the order they came to hold it', () => {
  const indexes = new IndexSet('messages', [{ fields: { [OUTBOX]: 1 }, sparse: true, name: 'outbox_pending' }]);
  const stored = new Map<string, StoredDoc>();
  const put = (next: StoredDoc): void => {
    indexes.apply(stored.get(next._id), next);
    stored.set(next._id, next);
  };
  for (let i = 0; i < 1000; i++) put(doc(`m${i}`, []));
  put(doc('m7', ['e1']));
  put(doc('m3', ['e2']));
  // A document that gains a second pending event keeps its place (its first event goes out first).
  put(doc('m7', ['e1', 'e3']));
  expect([...(indexes.candidates({ [OUTBOX]: { $exists: true } }) ?? ['a scan'])]).toEqual(['m7', 'm3']);
  put(doc('m7', []));
  indexes.apply(stored.get('m3'), undefined);
  expect([...(indexes.candidates({ [OUTBOX]: { $exists: true } }) ?? ['a scan'])]).toEqual([]);
});

it('indexes a dotted path through an array of documents by every element', () => {
  const indexes = new IndexSet('messages', [{ fields: { [OUTBOX]: 1 }, sparse: true, name: 'outbox_pending' }]);
  for (const next of [doc('m1', ['e1', 'e2']), doc('m2', ['e3'])]) add(indexes, next);
  expect([...(indexes.candidates({ [OUTBOX]: 'e2' }) ?? ['a scan'])]).toEqual(['m1']);
  expect([...(indexes.candidates({ [OUTBOX]: { $in: ['e1', 'e3'] } }) ?? ['a scan'])].sort()).toEqual(['m1', 'm2']);
});
