import { baseMimeType, DOCX_MIME_TYPE, PPTX_MIME_TYPE, XLSX_MIME_TYPE } from '../mimeTypes';
import { ProcessingError } from '../types';
import { extractCsv } from './csv';
import { extractDocx } from './docx';
import type { ExtractedText, ExtractLimits } from './extractedText';
import { extractHtml } from './html';
import { extractJson } from './json';
import { extractPdf } from './pdf';
import { decodeText } from './plainText';
import { extractPptx } from './pptx';
import { extractXlsx } from './xlsx';

export type { ExtractedText, ExtractLimits } from './extractedText';

type Extractor = (bytes: Buffer, limits: ExtractLimits) => ExtractedText | Promise<ExtractedText>;

const asText =
  (extract: (bytes: Buffer, limits: ExtractLimits) => string | Promise<string>): Extractor =>
  async (bytes, limits) => ({ text: await extract(bytes, limits) });

/** Extractors by sniffed MIME type (parameters such as `; charset=` are ignored); mimeTypes.ts lists the same. */
const EXTRACTORS: Record<string, Extractor> = {
  'text/plain': asText(decodeText),
  'text/markdown': asText(decodeText),
  'text/x-markdown': asText(decodeText),
  'application/json': asText(extractJson),
  'text/csv': asText(extractCsv),
  'text/html': asText(extractHtml),
  'application/pdf': extractPdf,
  [DOCX_MIME_TYPE]: asText(extractDocx),
  [XLSX_MIME_TYPE]: extractXlsx,
  [PPTX_MIME_TYPE]: extractPptx,
};

/** Extracts a document's text; UNSUPPORTED_TYPE when no extractor knows the type. */
export async function extractDocument(mimeType: string, bytes: Buffer, limits: ExtractLimits): Promise<ExtractedText> {
  const extractor = EXTRACTORS[baseMimeType(mimeType)];
  if (!extractor) throw new ProcessingError('UNSUPPORTED_TYPE', `files of type ${baseMimeType(mimeType) || '(none)'} are not supported`);
  return extractor(bytes, limits);
}
