import { assertTextFits } from '../failure';
import type { ExtractedText, ExtractLimits } from './extractedText';

/** What pdf.js gives for a text item (the fields used here). */
interface TextItem {
  str?: string;
  hasEOL?: boolean;
}

/**
 * A PDF's text, page by page (pdf.js through unpdf's serverless build), pages joined by a blank
 * line and their start offsets kept so chunks know their page. Pages are read one at a time so
 * the text budget stops a huge document early. (This pdf.js no longer compiles font code with
 * `eval`, the CVE-2024-4367 path, so there is no such option left to turn off.)
 */
export async function extractPdf(bytes: Buffer, limits: ExtractLimits): Promise<ExtractedText> {
  // unpdf is ESM-only and heavy: loaded on the first PDF, in the worker.
  const { getDocumentProxy } = await import('unpdf');
  const pdf = await getDocumentProxy(new Uint8Array(bytes), { stopAtErrors: true, verbosity: 0 });
  try {
    const pageStarts: number[] = [];
    const parts: string[] = [];
    let chars = 0;
    for (let page = 1; page <= pdf.numPages; page += 1) {
      const content = await (await pdf.getPage(page)).getTextContent();
      const pageText = (content.items as TextItem[])
        .map((item) => (item.str ?? '') + (item.hasEOL ? '\n' : ''))
        .join('')
        .trim();
      const separator = page === 1 ? '' : '\n\n';
      pageStarts.push(chars + separator.length);
      chars += separator.length + pageText.length;
      assertTextFits(chars, limits.maxTextChars);
      parts.push(separator, pageText);
    }
    return { text: parts.join(''), pages: pdf.numPages, pageStarts };
  } finally {
    await pdf.loadingTask.destroy();
  }
}
