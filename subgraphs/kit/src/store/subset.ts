/**
 * The port's Mongo subset, shared by every adapter: which filters, updates and sorts are
 * accepted (anything else is an `UnsupportedQueryError`), and what the update operators do to a
 * document. The code lives with the embedded adapter, which was written first; adapters import it
 * from here so that "supported" and "what `$pull` means" have one definition.
 *
 * The MongoDB adapter applies updates in memory with `applyUpdate` (see mongo/updating.ts), so an
 * update means exactly the same on both adapters and on every MongoDB-compatible server.
 */
export { checkFilter, compileFilter, equalityFields, isOperatorObject } from './embedded/filter';
export { checkUpdate, applyUpdate, UpdateApplyError } from './embedded/update';
export { checkSort } from './embedded/sort';
export { PathConflictError, getPath, setPath, valuesAtPath } from './embedded/paths';
export {
  cloneValue,
  isPlainObject,
  isStoredDoc,
  normalizeValue,
  UnsupportedValueError,
  valuesEqual,
  type StoredDoc,
  type StoredObject,
  type StoredValue,
} from './embedded/codec';
export { indexName } from './embedded/indexes';
