import { assertTextFits } from '../failure';
import type { ExtractLimits } from './extractedText';
import { decodeText } from './plainText';

/** JSON re-indented (2 spaces) so a model and the chunker see one value a line; invalid JSON is CORRUPT. */
export function extractJson(bytes: Buffer, limits: ExtractLimits): string {
  const value: unknown = JSON.parse(decodeText(bytes, limits));
  const text = JSON.stringify(value, null, 2) ?? '';
  assertTextFits(text.length, limits.maxTextChars);
  return text;
}
