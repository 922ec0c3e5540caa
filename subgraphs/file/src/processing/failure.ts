import { ProcessingError } from './types';

/**
 * Maps whatever an extractor threw to a ProcessingError. A library that cannot read the bytes
 * throws its own error (pdf.js `InvalidPDFException`, mammoth's "Can't find end of central
 * directory", JSON's SyntaxError): for the owner the file is CORRUPT. A RangeError is a size the
 * runtime refused (a string or buffer past its maximum, a recursion past the stack budget): the
 * file is TOO_LARGE for the budget, whatever its bytes mean.
 */
export function toProcessingError(error: unknown): ProcessingError {
  if (error instanceof ProcessingError) return error;
  if (error instanceof RangeError) return new ProcessingError('TOO_LARGE', `the file is too large to process (${error.message})`);
  const message = error instanceof Error ? error.message : String(error);
  return new ProcessingError('CORRUPT', `the file could not be read: ${message.slice(0, 300)}`);
}

/** Throws TOO_LARGE when `chars` exceeds the budget; extractors call it as text accumulates. */
export function assertTextFits(chars: number, maxTextChars: number): void {
  if (chars > maxTextChars) throw new ProcessingError('TOO_LARGE', `the file's text exceeds ${maxTextChars} characters`);
}
