import mammoth from 'mammoth';
import { assertTextFits } from '../failure';
import type { ExtractLimits } from './extractedText';
import { assertZipInflatesWithin } from './zipBudget';

/**
 * A Word document's text (mammoth's raw text: paragraphs separated by blank lines). The container
 * is proven to inflate within budget first: mammoth (JSZip) would inflate a zip bomb whole.
 */
export async function extractDocx(bytes: Buffer, limits: ExtractLimits): Promise<string> {
  assertZipInflatesWithin(bytes, limits.maxInflatedBytes);
  const { value } = await mammoth.extractRawText({ buffer: bytes });
  assertTextFits(value.length, limits.maxTextChars);
  return value;
}
