import type { ExtractedText, ExtractLimits } from './extractedText';
import { mainPart } from './officePackage';
import {
  allText,
  attribute,
  childrenOf,
  eachElement,
  localName,
  partNumber,
  prefixedAttribute,
  readPart,
  relationshipsOf,
  walk,
  type XmlNode,
} from './officeXml';
import { PagedText } from './pagedText';
import { openZipWithin, type ZipXmlParts } from './zipBudget';

/** One worksheet to read: its name and part. */
interface SheetRef {
  name: string;
  part: string;
}

/** A cell's column (0-based) from its reference (`C7` → 2). */
function columnOf(reference: string | undefined): number | undefined {
  const letters = reference === undefined ? undefined : /^[A-Z]+/i.exec(reference)?.[0];
  if (!letters) return undefined;
  let column = 0;
  for (const letter of letters.toUpperCase()) column = column * 26 + (letter.charCodeAt(0) - 64);
  return column - 1;
}

function columnLetters(column: number): string {
  let letters = '';
  for (let rest = column + 1; rest > 0; rest = Math.floor((rest - 1) / 26)) letters = String.fromCharCode(65 + ((rest - 1) % 26)) + letters;
  return letters;
}

/** A rich text's visible characters: its `t` runs, not the phonetic guides (`rPh`). */
function richText(node: XmlNode): string {
  const parts: string[] = [];
  walk(childrenOf(node), (child, name) => {
    if (name === 'rPh') return false;
    if (name === 't') {
      parts.push(allText(child));
      return false;
    }
    return true;
  });
  return parts.join('');
}

function sharedStrings(parts: ZipXmlParts, workbook: string): string[] {
  const part = [...relationshipsOf(parts, workbook).values()].find((rel) => rel.type === 'sharedStrings')?.target ?? 'xl/sharedStrings.xml';
  const xml = parts.read(part);
  return xml === undefined ? [] : Array.from(eachElement(xml, 'si', part), richText);
}

/** The worksheets in the workbook's order, named; by part number when the workbook lists none. */
function sheetsOf(parts: ZipXmlParts, workbook: string): SheetRef[] {
  const rels = relationshipsOf(parts, workbook);
  const sheets: SheetRef[] = [];
  walk(readPart(parts, workbook) ?? [], (node, name) => {
    if (name !== 'sheet') return true;
    const rel = rels.get(prefixedAttribute(node, 'id') ?? '');
    if (rel?.type === 'worksheet' && parts.names.includes(rel.target))
      sheets.push({ name: attribute(node, 'name') ?? '', part: rel.target });
    return false;
  });
  if (sheets.length > 0) return sheets;
  return parts.names
    .filter((name) => /^xl\/worksheets\/[^/]+\.xml$/.test(name))
    .sort((a, b) => partNumber(a) - partNumber(b))
    .map((part, index) => ({ name: `Sheet${index + 1}`, part }));
}

/** A number as Excel shows it at most: 15 significant digits (binary floats store 0.1 + 0.2 as 0.30000000000000004). */
function excelNumber(value: string): string {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) return value;
  return String(Number(number.toPrecision(15)));
}

/** What a cell shows, as text: shared and inline strings, numbers (15 digits), TRUE/FALSE, error codes, formulas' cached results. */
function cellValue(cell: XmlNode, strings: readonly string[]): string {
  const type = attribute(cell, 't') ?? 'n';
  let value: string | undefined;
  for (const child of childrenOf(cell)) {
    const name = localName(child);
    if (name === 'v') value = allText(child);
    else if (name === 'is' && type === 'inlineStr') return richText(child);
  }
  if (value === undefined) return '';
  if (type === 's') return strings[Number(value)] ?? '';
  if (type === 'b') return value.trim() === '1' ? 'TRUE' : 'FALSE';
  return type === 'n' ? excelNumber(value) : value;
}

/** A row's non-empty cells as [column, text], in column order. */
function rowCells(row: XmlNode, strings: readonly string[]): [number, string][] {
  const cells: [number, string][] = [];
  let next = 0;
  for (const cell of childrenOf(row)) {
    if (localName(cell) !== 'c') continue;
    const column = columnOf(attribute(cell, 'r')) ?? next;
    next = column + 1;
    const text = cellValue(cell, strings).trim();
    if (text !== '') cells.push([column, text]);
  }
  return cells;
}

/**
 * One sheet as text, like a CSV: its name, then the first non-empty row as the header, then each
 * row as `column: value; ...` naming every value by its header (or its column letter).
 */
function sheetText(rows: Iterable<XmlNode>, sheet: SheetRef, strings: readonly string[], text: PagedText): string {
  const lines = [`Sheet: ${sheet.name}`];
  let chars = lines[0]?.length ?? 0;
  let header: Map<number, string> | undefined;
  for (const row of rows) {
    const cells = rowCells(row, strings);
    if (cells.length === 0) continue;
    let line: string;
    if (!header) {
      header = new Map(cells);
      line = cells.map(([, value]) => value).join('; ');
    } else {
      const named = header;
      line = cells.map(([column, value]) => `${named.get(column) ?? `column ${columnLetters(column)}`}: ${value}`).join('; ');
    }
    chars += line.length + 1;
    text.assertRoomFor(chars + 2);
    lines.push(line);
  }
  return lines.join('\n');
}

/**
 * An Excel workbook's text, a sheet a page (so each chunk knows its sheet), read with our own
 * reader over the ZIP: every XML part is proven to inflate within budget first (zip bombs end
 * TOO_LARGE), then the shared strings and each worksheet's rows are parsed one at a time.
 */
export function extractXlsx(bytes: Buffer, limits: ExtractLimits): ExtractedText {
  const parts = openZipWithin(bytes, limits.maxInflatedBytes);
  const workbook = mainPart(parts, 'xl/workbook.xml', 'workbook');
  const strings = sharedStrings(parts, workbook);
  const text = new PagedText(limits.maxTextChars);
  for (const sheet of sheetsOf(parts, workbook)) {
    const rows = eachElement(parts.read(sheet.part) ?? '', 'row', sheet.part);
    text.addPage(sheetText(rows, sheet, strings, text));
  }
  return text.result();
}
