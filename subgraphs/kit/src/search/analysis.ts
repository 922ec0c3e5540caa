/**
 * Text analysis shared by both adapters so that they find the same documents: Elasticsearch's
 * core `standard` analyzer (Unicode UAX #29 word boundaries, lowercase) with Lucene's English
 * stopword list. The embedded engine reproduces it with `Intl.Segmenter`, which implements the
 * same word-boundary rules. No stemming: stemmers live in Elasticsearch's `analysis-common`
 * module, which the integ-test distribution lacks, and the two engines must agree.
 */

/** Lucene's `EnglishAnalyzer.ENGLISH_STOP_WORDS_SET` (Elasticsearch's `_english_`). */
export const ENGLISH_STOPWORDS: readonly string[] = [
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'but',
  'by',
  'for',
  'if',
  'in',
  'into',
  'is',
  'it',
  'no',
  'not',
  'of',
  'on',
  'or',
  'such',
  'that',
  'the',
  'their',
  'then',
  'there',
  'these',
  'they',
  'this',
  'to',
  'was',
  'will',
  'with',
];

const STOPWORDS = new Set(ENGLISH_STOPWORDS);

/** The standard tokenizer cuts longer tokens at this length (its `max_token_length`). */
const MAX_TOKEN_LENGTH = 255;

/** The standard tokenizer emits each ideograph and hiragana character as its own token. */
const SINGLE_CHARACTER_SCRIPTS = /[\p{Script=Han}\p{Script=Hiragana}]/u;

/** One analyzed term and where it came from in the original text (UTF-16 offsets). */
export interface Token {
  term: string;
  start: number;
  end: number;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'word' });

/**
 * Splits a word the way the standard tokenizer would: ICU's dictionary segmentation joins CJK
 * characters into words, the standard tokenizer keeps only runs of other scripts (katakana...).
 */
function* pieces(word: string, index: number): Generator<Token> {
  let run = '';
  let runStart = index;
  let offset = index;
  for (const char of word) {
    if (SINGLE_CHARACTER_SCRIPTS.test(char)) {
      if (run) yield { term: run, start: runStart, end: offset };
      yield { term: char, start: offset, end: offset + char.length };
      run = '';
      runStart = offset + char.length;
    } else {
      run += char;
    }
    offset += char.length;
  }
  if (run) yield { term: run, start: runStart, end: offset };
}

function* rawWords(text: string): Generator<Token> {
  for (const segment of segmenter.segment(text)) {
    if (!segment.isWordLike) continue;
    for (const piece of pieces(segment.segment, segment.index)) {
      for (let at = 0; at < piece.term.length; at += MAX_TOKEN_LENGTH) {
        const term = piece.term.slice(at, at + MAX_TOKEN_LENGTH);
        yield { term, start: piece.start + at, end: piece.start + at + term.length };
      }
    }
  }
}

/**
 * Lucene's LowerCaseFilter lowercases each code point on its own (Java's simple case mapping):
 * no final-sigma rule and `İ` becomes `i`, where JavaScript's `toLowerCase` differs.
 */
function lowercase(term: string): string {
  if (!/[Σİ]/.test(term)) return term.toLowerCase();
  return Array.from(term, (char) => (char === 'İ' ? 'i' : char.toLowerCase())).join('');
}

/** Analyzes text into lowercase terms with their offsets, stopwords removed. */
export function analyze(text: string): Token[] {
  const tokens: Token[] = [];
  for (const token of rawWords(text)) {
    const term = lowercase(token.term);
    if (!STOPWORDS.has(term)) tokens.push({ ...token, term });
  }
  return tokens;
}

/** The analyzed terms of a query, in order, duplicates kept (as Lucene's `match` query does). */
export function queryTerms(text: string): string[] {
  return analyze(text).map((token) => token.term);
}
