import { assertTextFits } from '../failure';
import type { ExtractedText } from './extractedText';

/**
 * Builds the text of a document in pages (PDF pages, PPTX slides, XLSX sheets): pages joined by a
 * blank line, each page's start offset kept so chunks know their page, and the text budget
 * checked as every page is added so a huge document stops early.
 */
export class PagedText {
  private readonly parts: string[] = [];
  private readonly pageStarts: number[] = [];
  private chars = 0;

  constructor(private readonly maxTextChars: number) {}

  /** Throws TOO_LARGE when `more` characters would not fit after what is already there. */
  assertRoomFor(more: number): void {
    assertTextFits(this.chars + more, this.maxTextChars);
  }

  addPage(text: string): void {
    const separator = this.pageStarts.length === 0 ? '' : '\n\n';
    this.pageStarts.push(this.chars + separator.length);
    this.chars += separator.length + text.length;
    assertTextFits(this.chars, this.maxTextChars);
    this.parts.push(separator, text);
  }

  result(): ExtractedText {
    return { text: this.parts.join(''), pages: this.pageStarts.length, pageStarts: [...this.pageStarts] };
  }
}
