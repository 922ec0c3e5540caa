import type { ExtractedText, ExtractLimits } from './extractedText';
import { mainPart } from './officePackage';
import { allText, attribute, findFirst, partNumber, prefixedAttribute, readPart, relationshipsOf, walk, type XmlNode } from './officeXml';
import { PagedText } from './pagedText';
import { openZipWithin, type ZipXmlParts } from './zipBudget';

/** Placeholders whose text is furniture (slide number, date, header, footer, the notes page's slide image), not content. */
const FURNITURE = new Set(['sldNum', 'dt', 'hdr', 'ftr', 'sldImg']);

/** A paragraph's text: its runs and fields (`a:t`) in order, line breaks (`a:br`) kept. */
function paragraphText(paragraph: XmlNode): string {
  const parts: string[] = [];
  walk([paragraph], (node, name) => {
    if (name === 't') {
      parts.push(allText(node));
      return false;
    }
    if (name === 'br') parts.push('\n');
    return true;
  });
  return parts.join('').trim();
}

/** The text of a slide or notes part: a line a non-empty paragraph, furniture placeholders left out. */
function partText(nodes: readonly XmlNode[]): string {
  const lines: string[] = [];
  walk(nodes, (node, name) => {
    if (name === 'sp') {
      const placeholder = findFirst([node], 'ph');
      return !(placeholder && FURNITURE.has(attribute(placeholder, 'type') ?? ''));
    }
    if (name !== 'p') return true;
    const line = paragraphText(node);
    if (line !== '') lines.push(line);
    return false;
  });
  return lines.join('\n');
}

/** The slides in the presentation's order; by part number when the presentation lists none. */
function slidesOf(parts: ZipXmlParts, presentation: string): string[] {
  const rels = relationshipsOf(parts, presentation);
  const slides: string[] = [];
  walk(readPart(parts, presentation) ?? [], (node, name) => {
    if (name !== 'sldId') return true;
    const rel = rels.get(prefixedAttribute(node, 'id') ?? '');
    if (rel?.type === 'slide' && parts.names.includes(rel.target)) slides.push(rel.target);
    return false;
  });
  if (slides.length > 0) return slides;
  return parts.names.filter((name) => /^ppt\/slides\/[^/]+\.xml$/.test(name)).sort((a, b) => partNumber(a) - partNumber(b));
}

/**
 * A PowerPoint presentation's text, a slide a page (so each chunk knows its slide): each slide's
 * paragraphs, then its speaker notes after `Notes:`. Read with our own reader over the ZIP: every
 * XML part is proven to inflate within budget first (zip bombs end TOO_LARGE), then parts are
 * parsed one at a time.
 */
export function extractPptx(bytes: Buffer, limits: ExtractLimits): ExtractedText {
  const parts = openZipWithin(bytes, limits.maxInflatedBytes);
  const presentation = mainPart(parts, 'ppt/presentation.xml', 'presentation');
  const text = new PagedText(limits.maxTextChars);
  for (const slide of slidesOf(parts, presentation)) {
    const body = partText(readPart(parts, slide) ?? []);
    text.assertRoomFor(body.length);
    const notesPart = [...relationshipsOf(parts, slide).values()].find((rel) => rel.type === 'notesSlide')?.target;
    const notes = notesPart === undefined ? '' : partText(readPart(parts, notesPart) ?? []);
    text.addPage(notes === '' ? body : `${body}\n\nNotes: ${notes}`.trim());
  }
  return text.result();
}
