/**
 * The types processing understands, kept apart from the extractors so the main thread can refuse
 * an unknown type without loading any of them.
 */

/** The Office Open XML type of a Word document. */
export const DOCX_MIME_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** The Office Open XML type of an Excel workbook. */
export const XLSX_MIME_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The Office Open XML type of a PowerPoint presentation. */
export const PPTX_MIME_TYPE = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';

/** Types whose text is extracted (in a sandbox worker). */
export const DOCUMENT_MIME_TYPES: readonly string[] = [
  'text/plain',
  'text/markdown',
  'text/x-markdown',
  'application/json',
  'text/csv',
  'text/html',
  'application/pdf',
  DOCX_MIME_TYPE,
  XLSX_MIME_TYPE,
  PPTX_MIME_TYPE,
];

/** Types processed as images (with sharp, on the main thread). */
export const IMAGE_MIME_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'];

/** The bare type of a MIME type (`text/plain; charset=utf-8` → `text/plain`). */
export function baseMimeType(mimeType: string): string {
  return (mimeType.split(';')[0] ?? '').trim().toLowerCase();
}
