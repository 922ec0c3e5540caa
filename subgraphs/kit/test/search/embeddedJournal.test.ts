import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmbeddedSearchIndex, type SearchIndex, type SearchIndexDefinition } from '../../src/search';
import { doc, hitIds, request } from './contractFixtures';

/**
 * The embedded engine's journal and compaction, without a graceful stop: an index abandoned
 * without `stop()` is what a crash leaves (every write resolved was fsynced to the journal).
 */

const definition: SearchIndexDefinition = { name: 'journalled', textFields: { title: 2, body: 1 }, keywordFields: ['tags'], vectorDims: 3 };

describe('embedded search journal', () => {
  let dataDir: string;
  let opened: SearchIndex[];
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'search-journal-'));
    opened = [];
  });
  afterEach(async () => {
    // Abandoned indexes still hold their journal open; release them once the test is over.
    for (const index of opened) await index.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const open = async (compactAfterBytes?: number): Promise<SearchIndex> => {
    const index = createEmbeddedSearchIndex({ definition, dataDir, ...(compactAfterBytes ? { compactAfterBytes } : {}) });
    await index.start();
    opened.push(index);
    return index;
  };
  const found = async (index: SearchIndex, owner: string, text: string): Promise<string[]> =>
    hitIds(await index.search({ ...request(owner, 'keyword', { text }), size: 100 })).sort();

  it('replays upserts, deletes, matching and owner deletions of a run that never stopped', async () => {
    const crashed = await open();
    await crashed.upsert([doc({ id: 'a', ownerId: 'o', body: 'harbour' }), doc({ id: 'b', ownerId: 'o', body: 'harbour' })]);
    await crashed.upsert([doc({ id: 'c', ownerId: 'p', body: 'harbour' })]);
    await crashed.upsert([doc({ id: 'd', ownerId: 'o', body: 'harbour', keywords: { tags: 'gone' } })]);
    await crashed.delete(['b']);
    await crashed.deleteMatching('o', { tags: 'gone' });
    await crashed.deleteByOwner('p');
    // No stop(): the next start finds only the journal.

    const reopened = await open();
    expect(await found(reopened, 'o', 'harbour')).toEqual(['a']);
    expect(await found(reopened, 'p', 'harbour')).toEqual([]);
    await reopened.stop();
  });

  it('folds the journal into snapshots as it grows, and keeps every write across them', async () => {
    const index = await open(2_000);
    for (let i = 0; i < 60; i++) await index.upsert([doc({ id: `d${i}`, ownerId: 'o', body: `lantern number ${i}` })]);
    await index.delete(['d0', 'd1']);
    // Compactions run in the background: let the last one finish before abandoning the index.
    await index.refresh();
    const files = readdirSync(dataDir);
    expect(files).toContain('search-journalled.json');

    const reopened = await open(2_000);
    expect(await found(reopened, 'o', 'lantern')).toEqual(Array.from({ length: 58 }, (_, i) => `d${i + 2}`).sort());
    await reopened.stop();
    // A graceful stop leaves the snapshot alone, no journal.
    expect(readdirSync(dataDir).filter((name) => name.endsWith('.journal'))).toEqual([]);
  });

  it('skips a torn last line and keeps the writes made after the restart', async () => {
    const crashed = await open();
    await crashed.upsert([doc({ id: 'before', ownerId: 'o', body: 'anchor' })]);
    const [journal] = readdirSync(dataDir).filter((name) => name.endsWith('.journal'));
    appendFileSync(path.join(dataDir, journal!), '0badc0de {"op":"upsert","docs":[{"id":"torn"');

    const second = await open();
    expect(await found(second, 'o', 'anchor')).toEqual(['before']);
    await second.upsert([doc({ id: 'after', ownerId: 'o', body: 'anchor' })]);

    const third = await open();
    expect(await found(third, 'o', 'anchor')).toEqual(['after', 'before']);
    await third.stop();
  });

  it('reads a snapshot of the first format (vectors as JSON arrays)', async () => {
    writeFileSync(
      path.join(dataDir, 'search-journalled.json'),
      JSON.stringify({
        format: 'chatgraph-search-snapshot/1',
        docs: [
          { id: 'old', ownerId: 'o', kind: 'message', text: { body: 'compass' }, vector: [0, 0, 1], createdAt: '2024-01-01T00:00:00.000Z' },
        ],
      }),
    );
    const index = await open();
    expect(await found(index, 'o', 'compass')).toEqual(['old']);
    expect(hitIds(await index.search(request('o', 'semantic', { vector: [0, 0, 1] })))).toEqual(['old']);
    await index.stop();
  });
});
