import { createGridFsBlobStore } from '../../src/blob';
import { dropDatabase, MONGO_URL, requireMongo, uniqueDbName, withConnection } from '../store/mongoSupport';
import { describeBlobStoreContract } from './contract';
import { chunked, payload } from './helpers';

/** The blob-store contract on GridFS against the real server (FerretDB by default, `MONGO_URL` for another). */

const dbName = uniqueDbName('kit_blob_contract');

beforeAll(() => requireMongo());

describeBlobStoreContract('GridFS on a real server', async () => ({
  store: createGridFsBlobStore({ uri: MONGO_URL, dbName, serverSelectionTimeoutMS: 2000 }),
  cleanup: () => dropDatabase(dbName),
}));

describe('GridFS blob store storage', () => {
  afterEach(() => dropDatabase(dbName));

  it('keeps one file and its chunks per blob after overwrites and deletes, and removes abandoned uploads at start', async () => {
    const store = createGridFsBlobStore({ uri: MONGO_URL, dbName, chunkSizeBytes: 64 * 1024 });
    await store.start();
    await store.put('k', chunked(payload(300 * 1024)));
    await store.put('k', chunked(payload(100 * 1024)));
    await store.put('gone', Buffer.from('x'));
    await store.delete('gone');
    await store.stop();
    const counts = await withConnection(MONGO_URL, async (connection) => {
      const db = connection.useDb(dbName);
      const files = db.collection<{ _id: string; [field: string]: unknown }>('blobs.files');
      // What a writer dying between upload and commit leaves.
      await files.insertOne({
        _id: 'abandoned',
        filename: 'k',
        length: 0,
        chunkSize: 1,
        uploadDate: new Date(0),
        metadata: { committed: false },
      });
      return { files: await files.countDocuments({}), chunks: await db.collection('blobs.chunks').countDocuments({}) };
    });
    expect(counts).toEqual({ files: 2, chunks: 2 }); // 100 KiB in 64 KiB chunks, plus the abandoned file
    const again = createGridFsBlobStore({ uri: MONGO_URL, dbName });
    await again.start();
    expect(await again.exists('k')).toBe(true);
    await again.stop();
    const files = await withConnection(MONGO_URL, (connection) => connection.useDb(dbName).collection('blobs.files').countDocuments({}));
    expect(files).toBe(1);
  });
});
