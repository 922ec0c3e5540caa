import mongoose from 'mongoose';
import { DocumentValidationError } from '../errors';
import { isStoredDoc, normalizeValue, UnsupportedValueError, type StoredDoc } from '../subset';

/**
 * Whole-document validation with the collection's model (compiled on the store's connection).
 * Every write validates the complete document it is about to store — for an update, the result
 * of applying it — so the rules are exactly those of the embedded adapter (embedded/validate.ts):
 * mongoose casts, applies defaults, drops unknown fields (strict mode) and runs every validator,
 * then the value model refuses what could not round-trip (Maps, Buffers, `$` or dotted keys).
 */
export class ModelValidator {
  constructor(
    private readonly model: mongoose.Model<unknown>,
    private readonly collection: string,
  ) {}

  /** The document as it will be stored, or `DocumentValidationError` naming the failing paths. */
  async validate(input: object): Promise<StoredDoc> {
    const doc = new this.model(input);
    try {
      await doc.validate();
    } catch (error) {
      if (!(error instanceof mongoose.Error.ValidationError)) throw error;
      const fields: Record<string, string> = {};
      for (const [path, cause] of Object.entries(error.errors)) fields[path] = cause.message;
      throw new DocumentValidationError(this.collection, fields);
    }
    const plain: unknown = doc.toObject({ depopulate: true, versionKey: false, flattenMaps: true, flattenObjectIds: true });
    let stored: unknown;
    try {
      stored = normalizeValue(plain);
    } catch (error) {
      if (error instanceof UnsupportedValueError) throw new DocumentValidationError(this.collection, { [error.path || '_id']: error.reason });
      throw error;
    }
    if (!isStoredDoc(stored)) {
      throw new DocumentValidationError(this.collection, { _id: 'must be a non-empty string (declare _id: { type: String })' });
    }
    return stored;
  }
}
