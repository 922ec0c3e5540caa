import Papa from 'papaparse';
import { assertTextFits } from '../failure';
import type { ExtractLimits } from './extractedText';
import { decodeText } from './plainText';

/**
 * A CSV as one readable line a row, each value named by its column (`name: Ada; age: 36`), so a
 * retrieval chunk cut anywhere still says what its numbers are. The first row is the header.
 */
export function extractCsv(bytes: Buffer, limits: ExtractLimits): string {
  const parsed = Papa.parse<string[]>(decodeText(bytes, limits), { skipEmptyLines: 'greedy' });
  const [header = [], ...rows] = parsed.data;
  const lines = [header.join('; ')];
  let chars = lines[0]?.length ?? 0;
  for (const row of rows) {
    const line = row.map((value, column) => `${header[column] || `column ${column + 1}`}: ${value}`).join('; ');
    chars += line.length + 1;
    assertTextFits(chars, limits.maxTextChars);
    lines.push(line);
  }
  return lines.join('\n');
}
