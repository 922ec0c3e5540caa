import mongoose, { type Schema } from 'mongoose';
import { ModelValidator } from '../validation';

/**
 * Schema validation with mongoose, without a connection: the collection's schema is compiled
 * into a model on a private `Mongoose` instance (registering on the global instance would clash
 * when two stores, or two tests, use the same collection name), then validated like the MongoDB
 * adapter's documents (../validation.ts). Being async, validation runs before the collection's
 * synchronous check-and-apply step, never inside it.
 */

/** One private mongoose instance per store; models are registered by collection name. */
export function createMongooseInstance(): mongoose.Mongoose {
  // No connection is ever opened: turn off everything that would wait for one.
  return new mongoose.Mongoose({ autoIndex: false, autoCreate: false, bufferCommands: false });
}

/** Validates and normalises documents of one collection against its mongoose schema. */
export class SchemaValidator extends ModelValidator {
  constructor(instance: mongoose.Mongoose, collection: string, schema: Schema) {
    super(instance.model<unknown>(collection, schema, collection), collection);
  }
}
