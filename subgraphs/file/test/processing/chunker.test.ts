import { CHUNK_MAX_CHARS, chunkText, type ChunkSpan } from '../../src/processing/chunker';
import { countTokens } from '../../src/processing/tokenizer';

/** Sentences of varied length, in paragraphs, each sentence numbered so order is checkable. */
function prose(paragraphs: number, sentencesEach: number): string {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  let n = 0;
  return Array.from({ length: paragraphs }, () =>
    Array.from({ length: sentencesEach }, () => {
      n += 1;
      return `Sentence ${n} says ${words.slice(0, 2 + (n % 7)).join(' ')}.`;
    }).join(' '),
  ).join('\n\n');
}

function expectCoverage(text: string, chunks: ChunkSpan[]): void {
  chunks.forEach((chunk, index) => {
    expect(chunk.index).toBe(index);
    expect(text.slice(chunk.start, chunk.end)).toBe(chunk.text);
    expect(chunk.text.length).toBeLessThanOrEqual(CHUNK_MAX_CHARS);
    expect(chunk.tokens).toBe(countTokens(chunk.text));
    if (index > 0) {
      const previous = chunks[index - 1] as ChunkSpan;
      expect(chunk.start).toBeGreaterThan(previous.start);
      // No gap: whatever lies between two chunks is whitespace.
      expect(text.slice(previous.end, Math.max(previous.end, chunk.start)).trim()).toBe('');
    }
  });
  expect(text.slice(0, chunks[0]?.start).trim()).toBe('');
  expect(text.slice(chunks.at(-1)?.end).trim()).toBe('');
}

describe('chunkText (cl100k_base)', () => {
  it('covers the whole text in order, each chunk within the token budget, neighbours overlapping', () => {
    const text = prose(12, 9);
    const chunks = chunkText(text, { chunkTokens: 120, chunkOverlapTokens: 20 });
    expect(chunks.length).toBeGreaterThan(5);
    expectCoverage(text, chunks);
    for (const chunk of chunks) expect(chunk.tokens).toBeLessThanOrEqual(120);
    for (let index = 1; index < chunks.length; index += 1) {
      const previous = chunks[index - 1] as ChunkSpan;
      const current = chunks[index] as ChunkSpan;
      expect(current.start).toBeLessThan(previous.end);
      expect(countTokens(text.slice(current.start, previous.end))).toBeLessThanOrEqual(20 + 2);
    }
  });

  it('cuts between sentences, never inside one, when sentences fit', () => {
    const text = prose(4, 20);
    const chunks = chunkText(text, { chunkTokens: 100, chunkOverlapTokens: 25 });
    for (const chunk of chunks) {
      expect(chunk.text).toMatch(/^Sentence \d+ /);
      expect(chunk.text).toMatch(/\.$/);
    }
  });

  it('ends a chunk at a paragraph break when that keeps it at least half full', () => {
    const paragraph = prose(1, 6);
    const text = [paragraph, paragraph, paragraph].join('\n\n');
    const perParagraph = countTokens(paragraph);
    const chunks = chunkText(text, { chunkTokens: Math.floor(perParagraph * 1.6), chunkOverlapTokens: 0 });
    expect(chunks[0]?.text).toBe(paragraph);
  });

  it('without overlap, chunks touch but do not repeat', () => {
    const text = prose(6, 8);
    const chunks = chunkText(text, { chunkTokens: 80, chunkOverlapTokens: 0 });
    expectCoverage(text, chunks);
    for (let index = 1; index < chunks.length; index += 1) expect(chunks[index]?.start).toBeGreaterThanOrEqual(chunks[index - 1]?.end ?? 0);
  });

  it('halves text without sentences or spaces and keeps every chunk within 8,000 characters', () => {
    const text = 'x'.repeat(20_000) + ' ' + 'word '.repeat(3_000);
    const chunks = chunkText(text, { chunkTokens: 8_000, chunkOverlapTokens: 0 });
    expectCoverage(text, chunks);
    expect(Math.max(...chunks.map((chunk) => chunk.text.length))).toBeLessThanOrEqual(CHUNK_MAX_CHARS);
  });

  it('never splits a surrogate pair', () => {
    const text = '😀'.repeat(2_000);
    const chunks = chunkText(text, { chunkTokens: 200, chunkOverlapTokens: 0 });
    expect(chunks.map((chunk) => chunk.text).join('')).toBe(text);
    for (const chunk of chunks) expect(chunk.text).not.toMatch(/[\ud800-\udbff]$|^[\udc00-\udfff]/);
  });

  it('gives each chunk the page it starts on', () => {
    const pages = ['Page one. '.repeat(40).trim(), 'Page two. '.repeat(40).trim(), 'Page three. '.repeat(40).trim()];
    const text = pages.join('\n\n');
    const pageStarts = [0, pages[0]!.length + 2, pages[0]!.length + pages[1]!.length + 4];
    const chunks = chunkText(text, { chunkTokens: 60, chunkOverlapTokens: 0 }, pageStarts);
    for (const chunk of chunks) {
      expect(chunk.text.startsWith(`Page ${['one', 'two', 'three'][(chunk.page ?? 0) - 1]}`)).toBe(true);
    }
    expect(new Set(chunks.map((chunk) => chunk.page))).toEqual(new Set([1, 2, 3]));
  });

  it('gives no chunk for empty or blank text', () => {
    expect(chunkText('', { chunkTokens: 100, chunkOverlapTokens: 10 })).toEqual([]);
    expect(chunkText(' \n\n\t ', { chunkTokens: 100, chunkOverlapTokens: 10 })).toEqual([]);
  });
});
