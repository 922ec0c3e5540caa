import { assertTextFits } from '../failure';
import type { ExtractLimits } from './extractedText';

/**
 * UTF-8 text as it is (Markdown stays Markdown: models read it well). A UTF-8 character takes at
 * most 4 bytes, so bytes beyond 4 × the budget are refused before decoding anything.
 */
export function decodeText(bytes: Buffer, limits: ExtractLimits): string {
  assertTextFits(Math.ceil(bytes.length / 4), limits.maxTextChars);
  const text = new TextDecoder('utf-8').decode(bytes);
  assertTextFits(text.length, limits.maxTextChars);
  return text;
}
