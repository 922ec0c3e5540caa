/** Raised by every adapter when a write would violate a unique index. Nothing was written. */
export class DuplicateKeyError extends Error {
  readonly collection: string;
  readonly index: string;
  readonly fields: string[];
  constructor(collection: string, index: string, fields: string[]) {
    super(`duplicate key in ${collection} on index ${index}`);
    this.name = 'DuplicateKeyError';
    this.collection = collection;
    this.index = index;
    this.fields = fields;
  }
}

/** Raised when a document (inserted or the result of an update) fails its schema. Nothing was written. */
export class DocumentValidationError extends Error {
  readonly collection: string;
  /** path -> message, from mongoose's validation. */
  readonly fields: Record<string, string>;
  constructor(collection: string, fields: Record<string, string>) {
    super(
      `invalid document in ${collection}: ${Object.entries(fields)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ')}`,
    );
    this.name = 'DocumentValidationError';
    this.collection = collection;
    this.fields = fields;
  }
}

/** Raised when a filter or update uses an operator outside the port's supported subset. */
export class UnsupportedQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedQueryError';
  }
}
