import { analyze, queryTerms } from '../../src/search/analysis';

/**
 * Expected tokens were produced by Elasticsearch 9.5's `standard` analyzer with the same stopwords
 * (`_analyze`); elasticsearchSearch.real.test.ts checks the agreement against a live server.
 */
describe('analyze', () => {
  it('splits on Unicode word boundaries like the standard tokenizer, with offsets', () => {
    expect(analyze("The Don't 3.14 foo_bar 東京タワー e-mail")).toEqual([
      { term: "don't", start: 4, end: 9 },
      { term: '3.14', start: 10, end: 14 },
      { term: 'foo_bar', start: 15, end: 22 },
      { term: '東', start: 23, end: 24 },
      { term: '京', start: 24, end: 25 },
      { term: 'タワー', start: 25, end: 28 },
      { term: 'e', start: 29, end: 30 },
      { term: 'mail', start: 31, end: 35 },
    ]);
  });

  it('lowercases code point by code point, as Lucene does (no final sigma)', () => {
    expect(queryTerms('ΣΊΣΥΦΟΣ İstanbul')).toEqual(['σίσυφοσ', 'istanbul']);
  });

  it('drops English stopwords and punctuation, keeps duplicates', () => {
    expect(queryTerms('The cat, the CAT and a dog!')).toEqual(['cat', 'cat', 'dog']);
  });
});
