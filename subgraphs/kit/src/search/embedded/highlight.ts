import { analyze, type Token } from '../analysis';
import { escapeHtml, FRAGMENT_SIZE, HIGHLIGHT_POST_TAG, HIGHLIGHT_PRE_TAG } from '../highlight';

/**
 * Fragments shaped like Elasticsearch's unified highlighter (`boundary_scanner: sentence`): the
 * best-matching sentence, or within a sentence longer than a fragment, a word-bounded window.
 */

/** How far before the first match a cut window starts, so the match is seen in context. */
const LEAD = 30;
const sentences = new Intl.Segmenter('en', { granularity: 'sentence' });

/** Moves `at` forward to the start of a word, unless it is already at `floor`. */
function wordStart(text: string, at: number, floor: number): number {
  if (at <= floor) return floor;
  const space = text.slice(at).search(/\s/);
  return space < 0 ? at : at + space + 1;
}

/** Moves `at` back to the end of a word, unless it is already at the text's end. */
function wordEnd(text: string, at: number, floor: number): number {
  if (at >= text.length) return text.length;
  const space = text.slice(floor, at + 1).search(/\s\S*$/);
  return space <= 0 ? at : floor + space;
}

function render(text: string, start: number, end: number, marks: readonly Token[]): string {
  let out = '';
  let at = start;
  for (const mark of marks) {
    if (mark.start < at || mark.end > end) continue;
    out += escapeHtml(text.slice(at, mark.start)) + HIGHLIGHT_PRE_TAG + escapeHtml(text.slice(mark.start, mark.end)) + HIGHLIGHT_POST_TAG;
    at = mark.end;
  }
  return (out + escapeHtml(text.slice(at, end))).trim();
}

/** The sentence with the most distinct matched terms (the first of equals). */
function bestSentence(text: string, marks: readonly Token[]): { start: number; end: number } {
  let best = { start: 0, end: text.length, distinct: 0 };
  for (const { segment, index } of sentences.segment(text)) {
    const end = index + segment.length;
    const distinct = new Set(marks.filter((mark) => mark.start >= index && mark.end <= end).map((mark) => mark.term)).size;
    if (distinct > best.distinct) best = { start: index, end, distinct };
  }
  return best;
}

/** A marked fragment of `text` around query terms, or undefined if none occurs. */
export function markedFragment(text: string, terms: ReadonlySet<string>): string | undefined {
  const marks = analyze(text).filter((token) => terms.has(token.term));
  if (marks.length === 0) return undefined;
  const sentence = bestSentence(text, marks);
  if (sentence.end - sentence.start <= FRAGMENT_SIZE) return render(text, sentence.start, sentence.end, marks);
  const first = marks.find((mark) => mark.start >= sentence.start) ?? marks[0]!;
  const start = Math.min(wordStart(text, first.start - LEAD, sentence.start), first.start);
  const end = Math.min(sentence.end, Math.max(wordEnd(text, start + FRAGMENT_SIZE, start), first.end));
  return render(text, start, end, marks);
}

/** The start of `text`, unmarked: what a hit shows when no query term is in it. */
export function leadingFragment(text: string): string {
  return render(text, 0, wordEnd(text, FRAGMENT_SIZE, 0), []);
}
