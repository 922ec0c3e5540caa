import { convert } from 'html-to-text';
import { assertTextFits } from '../failure';
import type { ExtractLimits } from './extractedText';
import { decodeText } from './plainText';

/**
 * The readable text of an HTML page: scripts, styles and other non-content elements are dropped
 * (their text is code, not content), images leave nothing, links keep their text only.
 */
export function extractHtml(bytes: Buffer, limits: ExtractLimits): string {
  const html = decodeText(bytes, limits);
  const skip = ['script', 'style', 'noscript', 'template', 'svg', 'head', 'img', 'iframe', 'object'].map((selector) => ({
    selector,
    format: 'skip',
  }));
  const text = convert(html, {
    wordwrap: false,
    // Headings and table headers keep their case (html-to-text shouts them by default).
    selectors: [
      ...skip,
      { selector: 'a', options: { ignoreHref: true } },
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
    limits: { maxInputLength: html.length },
  });
  assertTextFits(text.length, limits.maxTextChars);
  return text;
}
