/** A change of embedding dimensions on the embedded engine: stored documents stay, without their old vectors. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmbeddedSearchIndex, type SearchIndexDefinition } from '../../src/search';

const definition = (vectorDims: number): SearchIndexDefinition => ({
  name: 'dims-change',
  textFields: { body: 1 },
  keywordFields: ['embeddingModel'],
  vectorDims,
});

it('loads documents whose vectors have other dimensions without the vectors, findable by words and listed for re-embedding', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'search-dims-'));
  try {
    const before = createEmbeddedSearchIndex({ definition: definition(3), dataDir });
    await before.start();
    await before.upsert([
      {
        id: 'a',
        ownerId: 'o',
        kind: 'message',
        text: { body: 'kestrel' },
        vector: [1, 0, 0],
        keywords: { embeddingModel: 'm3' },
        createdAt: new Date(),
      },
    ]);
    await before.stop();

    const after = createEmbeddedSearchIndex({ definition: definition(4), dataDir });
    await after.start();
    expect((await after.search({ ownerId: 'o', text: 'kestrel', mode: 'keyword', size: 5 })).hits.map((hit) => hit.id)).toEqual(['a']);
    expect((await after.search({ ownerId: 'o', vector: [1, 0, 0, 0], mode: 'semantic', size: 5 })).hits).toEqual([]);
    expect((await after.scanNotMatching('embeddingModel', ['m4'], null, 10)).map((doc) => doc.id)).toEqual(['a']);
    await after.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
