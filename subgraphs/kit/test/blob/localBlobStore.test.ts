import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBlobStore } from '../../src/blob';
import { describeBlobStoreContract } from './contract';
import { readBlob } from './helpers';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'chatgraph-blobs-'));
}

describeBlobStoreContract('local directory', async () => {
  const dir = tempDir();
  return { store: createLocalBlobStore({ dir }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

/** Every file under `dir`, relative. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe('local blob store files', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps one data file and one sidecar per blob, none left over after overwrites and deletes', async () => {
    const store = createLocalBlobStore({ dir });
    await store.start();
    await store.put('k', Buffer.from('1'));
    await store.put('k', Buffer.from('2'));
    await store.put('gone', Buffer.from('3'));
    await store.delete('gone');
    await store.stop();
    const files = filesUnder(dir);
    expect(files).toHaveLength(2);
    expect(files.filter((file) => file.endsWith('.json'))).toHaveLength(1);
    expect(files.every((file) => file.startsWith('objects/'))).toBe(true);
  });

  it('removes abandoned temporary files and unreferenced versions at start, and only old ones', async () => {
    const first = createLocalBlobStore({ dir });
    await first.start();
    await first.put('k', Buffer.from('kept'));
    await first.stop();
    const [sidecar] = filesUnder(dir).filter((file) => file.endsWith('.json'));
    const shard = join(dir, sidecar?.split('/').slice(0, 2).join('/') ?? 'missing');
    const hash = sidecar?.split('/')[2]?.replace('.json', '') ?? 'missing';
    // What a crash leaves: a half-written temp file, a version never committed, a fresh temp file of a live writer.
    const abandoned = [join(dir, 'tmp', 'half'), join(shard, `${hash}.0badc0ffee`)];
    for (const path of abandoned) {
      writeFileSync(path, 'partial');
      utimesSync(path, new Date(0), new Date(0));
    }
    writeFileSync(join(dir, 'tmp', 'in-progress'), 'live');
    const second = createLocalBlobStore({ dir, abandonedAfterMs: 60_000 });
    await second.start();
    await second.stop(); // waits for the background sweep
    const left = filesUnder(dir);
    expect(left.filter((file) => file.startsWith('tmp/'))).toEqual(['tmp/in-progress']);
    expect(left.filter((file) => file.startsWith('objects/'))).toHaveLength(2); // the sidecar and the version it names
    expect(left.some((file) => file.endsWith('.0badc0ffee'))).toBe(false);
    const third = createLocalBlobStore({ dir });
    await third.start();
    expect((await readBlob(third, 'k'))?.toString()).toBe('kept');
    await third.stop();
  });
});
