import { countTokens } from './tokenizer';
import type { ProcessedChunk } from './types';

/** How text is cut for retrieval. */
export interface ChunkingOptions {
  /** Target tokens per chunk (a chunk holds at most this many, give or take a boundary token). */
  chunkTokens: number;
  /** Tokens a chunk repeats from the end of the one before it (whole sentences, at most this many). */
  chunkOverlapTokens: number;
}

/** A chunk and where its text lies in the whole text: `text === whole.slice(start, end)`. */
export interface ChunkSpan extends ProcessedChunk {
  start: number;
  end: number;
}

/** Most characters of a chunk: what a `file.chunked` event accepts. */
export const CHUNK_MAX_CHARS = 8_000;
/** Most characters of one sentence piece, so any run of pieces can be cut to fit CHUNK_MAX_CHARS. */
const UNIT_MAX_CHARS = 2_000;
/** Sentence ends (with closing quotes or brackets) and line breaks; a cut goes after the match. */
const BOUNDARY = /[.!?…。！？]+["'”’)\]]*\s+|\n\s*/gu;
const PARAGRAPH_BREAK = /\n[^\S\n]*\n/;

/** A sentence (or a piece of a long one): the smallest thing a chunk holds whole. */
interface Unit {
  start: number;
  end: number;
  tokens: number;
  /** The unit starts a paragraph: a chunk prefers to end just before it. */
  opensParagraph: boolean;
}

function isWhitespace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x3000;
}

/** Where to halve [start, end): after the whitespace nearest the middle, else the middle (never inside a surrogate pair). */
function cutNear(text: string, start: number, end: number): number {
  const middle = Math.floor((start + end) / 2);
  for (let distance = 0; distance < (end - start) / 2; distance += 1) {
    for (const at of [middle - distance, middle + distance]) {
      if (at > start && at < end - 1 && isWhitespace(text.charCodeAt(at))) return at + 1;
    }
  }
  const lowSurrogate = (text.charCodeAt(middle) & 0xfc00) === 0xdc00;
  return lowSurrogate && middle + 1 < end ? middle + 1 : middle;
}

/** Pushes [start, end) as units no larger than the limits, halving at whitespace where it can. */
function pushUnits(text: string, start: number, end: number, opensParagraph: boolean, maxTokens: number, out: Unit[]): void {
  // Too long is known without counting; counting it anyway would only cost time.
  const tokens = end - start <= UNIT_MAX_CHARS ? countTokens(text.slice(start, end)) : Infinity;
  if (tokens <= maxTokens || end - start <= 2) {
    out.push({ start, end, tokens: Number.isFinite(tokens) ? tokens : countTokens(text.slice(start, end)), opensParagraph });
    return;
  }
  const cut = cutNear(text, start, end);
  pushUnits(text, start, cut, opensParagraph, maxTokens, out);
  pushUnits(text, cut, end, false, maxTokens, out);
}

function splitIntoUnits(text: string, maxUnitTokens: number): Unit[] {
  const units: Unit[] = [];
  let start = 0;
  let opensParagraph = true;
  for (const match of text.matchAll(BOUNDARY)) {
    const end = match.index + match[0].length;
    if (end >= text.length) break;
    pushUnits(text, start, end, opensParagraph, maxUnitTokens, units);
    opensParagraph = PARAGRAPH_BREAK.test(match[0]);
    start = end;
  }
  if (start < text.length) pushUnits(text, start, text.length, opensParagraph, maxUnitTokens, units);
  return units;
}

/** 1-based page holding `offset`, given each page's start offset (ascending). */
function pageAt(pageStarts: readonly number[], offset: number): number {
  let page = 0;
  while (page < pageStarts.length && (pageStarts[page] ?? 0) <= offset) page += 1;
  return Math.max(1, page);
}

/**
 * Cuts text into retrieval chunks of about `chunkTokens` tokens (cl100k_base), each repeating up to
 * `chunkOverlapTokens` tokens of whole sentences from the end of the one before, so a fact cut at
 * a boundary is still whole in one chunk. Cuts fall between sentences or lines, preferably at a
 * paragraph end when that keeps the chunk at least half full; a sentence longer than the budget is
 * halved at whitespace. No chunk exceeds CHUNK_MAX_CHARS. Chunks are trimmed slices of the text,
 * in order, and together cover all of it; for paged text each carries the page it starts on.
 */
export function chunkText(text: string, options: ChunkingOptions, pageStarts?: readonly number[]): ChunkSpan[] {
  const budget = Math.max(1, Math.floor(options.chunkTokens));
  const overlap = Math.max(0, Math.min(Math.floor(options.chunkOverlapTokens), Math.floor(budget / 2)));
  // Units no larger than the overlap, so the overlap always holds at least one whole unit.
  const maxUnitTokens = Math.max(1, Math.min(Math.floor(budget / 4), overlap > 0 ? overlap : Infinity));
  const units = splitIntoUnits(text, maxUnitTokens);
  const tokensBefore = [0];
  for (const unit of units) tokensBefore.push((tokensBefore.at(-1) ?? 0) + unit.tokens);
  const tokensOf = (from: number, to: number): number => (tokensBefore[to] ?? 0) - (tokensBefore[from] ?? 0);

  const chunks: ChunkSpan[] = [];
  let first = 0;
  while (first < units.length) {
    const start = units[first]?.start ?? 0;
    let end = first + 1;
    while (end < units.length && tokensOf(first, end + 1) <= budget && (units[end]?.end ?? 0) - start <= CHUNK_MAX_CHARS) end += 1;
    if (end < units.length) {
      for (let at = end - 1; at > first; at -= 1) {
        if (units[at]?.opensParagraph && tokensOf(first, at) * 2 >= budget) {
          end = at;
          break;
        }
      }
    }
    const raw = text.slice(start, units[end - 1]?.end ?? start);
    const trimmed = raw.trim();
    if (trimmed) {
      const chunkStart = start + raw.length - raw.trimStart().length;
      const chunk: ChunkSpan = {
        index: chunks.length,
        text: trimmed,
        tokens: countTokens(trimmed),
        start: chunkStart,
        end: chunkStart + trimmed.length,
      };
      if (pageStarts) chunk.page = pageAt(pageStarts, chunkStart);
      chunks.push(chunk);
    }
    if (end >= units.length) break;
    let next = end;
    while (next - 1 > first && tokensOf(next - 1, end) <= overlap) next -= 1;
    first = next;
  }
  return chunks;
}
