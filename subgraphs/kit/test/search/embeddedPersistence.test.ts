import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmbeddedSearchIndex, type SearchIndexDefinition } from '../../src/search';
import { doc, hitIds, request } from './contractFixtures';

const definition: SearchIndexDefinition = { name: 'persisted', textFields: { title: 2, body: 1 }, keywordFields: ['tags'], vectorDims: 3 };

describe('embedded search snapshots', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'search-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps documents, vectors and deletions across a restart', async () => {
    const first = createEmbeddedSearchIndex({ definition, dataDir });
    await first.start();
    const kept = doc({ id: 'kept', ownerId: 'o', body: 'lighthouse keeper', vector: [0, 1, 0], keywords: { tags: ['coast'] } });
    await first.upsert([kept, doc({ id: 'gone', ownerId: 'o', body: 'lighthouse' })]);
    await first.delete(['gone']);
    await first.stop();

    const second = createEmbeddedSearchIndex({ definition, dataDir });
    await second.start();
    const [hit] = (await second.search(request('o', 'keyword', { text: 'lighthouse' }))).hits;
    const { vector: _vector, ...stored } = kept;
    expect(hit?.doc).toEqual(stored);
    expect(hitIds(await second.search(request('o', 'semantic', { vector: [0, 1, 0] })))).toEqual(['kept']);
    await second.stop();
  });

  it('starts empty, and says so, when the snapshot is unreadable: the index is rebuilt from events', async () => {
    writeFileSync(path.join(dataDir, 'search-persisted.json'), '{"format":');
    const warnings: string[] = [];
    const index = createEmbeddedSearchIndex({
      definition,
      dataDir,
      logger: { info: () => undefined, warn: (_obj, msg) => warnings.push(msg ?? '') },
    });
    await index.start();
    expect(hitIds(await index.search(request('o', 'keyword', { text: 'lighthouse' })))).toEqual([]);
    expect(warnings).toEqual(['search snapshot unreadable, starting from the journals']);
    await index.stop();
  });

  it('refuses calls before start and after stop', async () => {
    const index = createEmbeddedSearchIndex({ definition });
    await expect(index.ping()).rejects.toThrow(/not started/);
    await index.start();
    await index.stop();
    await expect(index.search(request('o', 'keyword', { text: 'x' }))).rejects.toThrow(/stopped/);
  });
});
