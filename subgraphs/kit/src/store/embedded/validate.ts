import mongoose, { type Schema } from 'mongoose';
import { DocumentValidationError } from '../errors';
import { isStoredDoc, normalizeValue, UnsupportedValueError, type StoredDoc } from './codec';

/**
 * Schema validation with mongoose, without a connection: the collection's schema is compiled
 * into a model on a private `Mongoose` instance (registering on the global instance would clash
 * when two stores, or two tests, use the same collection name), documents are built with
 * `new Model(doc)` so casting and defaults apply, and the stored form is `toObject()`.
 *
 * `validate()` is used rather than `validateSync()`: the latter is deprecated in mongoose 9 (it
 * logs a warning and skips async validators and validate middleware). Being async, validation
 * runs before the collection's synchronous check-and-apply step, never inside it.
 */

/** One private mongoose instance per store; models are registered by collection name. */
export function createMongooseInstance(): mongoose.Mongoose {
  // No connection is ever opened: turn off everything that would wait for one.
  return new mongoose.Mongoose({ autoIndex: false, autoCreate: false, bufferCommands: false });
}

function isValidationError(error: unknown): error is mongoose.Error.ValidationError {
  return error instanceof mongoose.Error.ValidationError;
}

/** Validates and normalises documents of one collection against its mongoose schema. */
export class SchemaValidator {
  private readonly model: mongoose.Model<unknown>;

  constructor(
    instance: mongoose.Mongoose,
    private readonly collection: string,
    schema: Schema,
  ) {
    this.model = instance.model<unknown>(collection, schema, collection);
  }

  /**
   * The document as it will be stored (cast, defaults applied, unknown fields dropped by
   * mongoose's strict mode, ObjectIds and maps flattened), or `DocumentValidationError`.
   */
  async validate(input: object): Promise<StoredDoc> {
    const doc = new this.model(input);
    try {
      await doc.validate();
    } catch (error) {
      if (!isValidationError(error)) throw error;
      const fields: Record<string, string> = {};
      for (const [path, cause] of Object.entries(error.errors)) fields[path] = cause.message;
      throw new DocumentValidationError(this.collection, fields);
    }
    const plain: unknown = doc.toObject({ depopulate: true, versionKey: false, flattenMaps: true, flattenObjectIds: true });
    let stored: unknown;
    try {
      stored = normalizeValue(plain);
    } catch (error) {
      if (error instanceof UnsupportedValueError) {
        throw new DocumentValidationError(this.collection, { [error.path || '_id']: error.reason });
      }
      throw error;
    }
    // Schemas used with the port declare `_id: { type: String }`; anything else cannot be stored.
    if (!isStoredDoc(stored)) {
      throw new DocumentValidationError(this.collection, { _id: 'must be a non-empty string (declare _id: { type: String })' });
    }
    return stored;
  }
}
