/** What a document extractor returns: the text, and for paged documents where each page starts. */
export interface ExtractedText {
  text: string;
  /** Pages of a paged document. */
  pages?: number;
  /** Offset in `text` where each page starts (ascending, first is 0), for paged documents. */
  pageStarts?: number[];
}

/** How an extractor is bounded. */
export interface ExtractLimits {
  maxTextChars: number;
  /** Most bytes the parts of a compressed container (DOCX) may inflate to in all. */
  maxInflatedBytes: number;
}
