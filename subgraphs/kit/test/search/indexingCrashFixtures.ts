import type { SearchDocument, SearchIndexDefinition } from '../../src/search';

/** The index of the indexing crash test and its child. */
export const crashDefinition: SearchIndexDefinition = { name: 'crash', textFields: { body: 1 }, keywordFields: ['n'], vectorDims: 3 };

/** The document event `n` indexes: found by the word `token<n>`. */
export function crashDocument(n: number): SearchDocument {
  return {
    id: `doc-${n}`,
    ownerId: 'owner',
    kind: 'message',
    text: { body: `message ${n} of the crash run, token${n}` },
    keywords: { n: String(n) },
    vector: [1, n % 7, 1],
    createdAt: new Date(0),
  };
}
