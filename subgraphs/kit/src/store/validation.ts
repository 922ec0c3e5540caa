import mongoose from 'mongoose';
import { DocumentValidationError } from './errors';
import { isStoredDoc, normalizeValue, UnsupportedValueError, type StoredDoc } from './subset';

/**
 * Whole-document validation with a collection's mongoose model, the same for every adapter (the
 * embedded one compiles the model on a private, unconnected instance, the MongoDB one on its
 * connection). Every write validates the complete document it is about to store — for an update,
 * the result of applying it: mongoose casts, applies defaults, drops unknown fields (strict mode)
 * and runs every validator, then the value model refuses what could not round-trip (Maps,
 * Buffers, `$` or dotted keys).
 *
 * `validate()` is used rather than `validateSync()`: the latter is deprecated in mongoose 9 (it
 * logs a warning and skips async validators and validate middleware).
 */
export class ModelValidator {
  constructor(
    private readonly model: mongoose.Model<unknown>,
    private readonly collection: string,
  ) {}

  /**
   * The document as it will be stored (cast, defaults applied, unknown fields dropped, ObjectIds
   * and maps flattened), or `DocumentValidationError` naming the failing paths.
   */
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
      if (error instanceof UnsupportedValueError)
        throw new DocumentValidationError(this.collection, { [error.path || '_id']: error.reason });
      throw error;
    }
    // Schemas used with the port declare `_id: { type: String }`; anything else cannot be stored.
    if (!isStoredDoc(stored)) {
      throw new DocumentValidationError(this.collection, { _id: 'must be a non-empty string (declare _id: { type: String })' });
    }
    return stored;
  }
}
