import { ProcessingError } from '../types';
import { relationshipsOf } from './officeXml';
import type { ZipXmlParts } from './zipBudget';

/**
 * The main part of an Office Open XML package (`xl/workbook.xml`, `ppt/presentation.xml`): the
 * target of the package's officeDocument relationship, or the usual name when `_rels/.rels` does
 * not say. A container without it is not such a document: CORRUPT.
 */
export function mainPart(parts: ZipXmlParts, usualName: string, kind: string): string {
  const declared = [...relationshipsOf(parts, '').values()].find((rel) => rel.type === 'officeDocument')?.target;
  for (const name of [declared, usualName]) {
    if (name !== undefined && parts.names.includes(name)) return name;
  }
  throw new ProcessingError('CORRUPT', `the file has no ${kind} part (${usualName})`);
}
