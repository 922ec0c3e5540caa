import { BlobRequestError, type BlobStore } from '../../src/blob';
import { chunked, failingAfter, payload, readAll, readBlob, rejectionOf, sha256, type BlobStoreUnderTest } from './helpers';

export type { BlobStoreUnderTest } from './helpers';

/**
 * The behaviour every `BlobStore` adapter must show, as a reusable jest suite. `makeStore`
 * returns a fresh, empty, not yet started store and a `cleanup` run after `stop()`.
 */
export function describeBlobStoreContract(name: string, makeStore: () => Promise<BlobStoreUnderTest>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let current: BlobStoreUnderTest | undefined;
    const store = (): BlobStore => {
      if (!current) throw new Error('the contract store is not set up');
      return current.store;
    };

    beforeEach(async () => {
      current = await makeStore();
      await current.store.start();
    });

    afterEach(async () => {
      const done = current;
      current = undefined;
      await done?.store.stop();
      await done?.cleanup();
    });

    it('round-trips a multi-megabyte stream, reporting its size and SHA-256', async () => {
      const bytes = payload(6 * 1024 * 1024 + 123);
      const put = await store().put('files/u1/big.bin', chunked(bytes), { contentType: 'application/pdf', metadata: { name: 'big.pdf' } });
      expect(put).toEqual({ key: 'files/u1/big.bin', bytes: bytes.length, sha256: sha256(bytes) });
      const blob = await store().get('files/u1/big.bin');
      expect(blob).toMatchObject({
        bytes: bytes.length,
        sha256: sha256(bytes),
        contentType: 'application/pdf',
        metadata: { name: 'big.pdf' },
      });
      const read = await readAll(blob?.stream ?? chunked(Buffer.alloc(0)));
      expect(read.length).toBe(bytes.length);
      expect(sha256(read)).toBe(sha256(bytes));
    });

    it('stores buffers, with a default content type and empty metadata', async () => {
      const put = await store().put('a', Buffer.from('hello'));
      expect(put).toEqual({ key: 'a', bytes: 5, sha256: sha256(Buffer.from('hello')) });
      expect(await store().exists('a')).toBe(true);
      const blob = await store().get('a');
      expect(blob).toMatchObject({ contentType: 'application/octet-stream', metadata: {}, bytes: 5 });
      expect((await readAll(blob?.stream ?? chunked(Buffer.alloc(0)))).toString()).toBe('hello');
      await store().put('empty', new Uint8Array(0));
      expect(await readBlob(store(), 'empty')).toEqual(Buffer.alloc(0));
    });

    it('answers null, false and false for a key that holds nothing', async () => {
      expect(await store().get('missing/key')).toBeNull();
      expect(await store().exists('missing/key')).toBe(false);
      expect(await store().delete('missing/key')).toBe(false);
    });

    it('deletes a blob', async () => {
      await store().put('d/1', Buffer.from('x'));
      expect(await store().delete('d/1')).toBe(true);
      expect(await store().get('d/1')).toBeNull();
      expect(await store().exists('d/1')).toBe(false);
      expect(await store().delete('d/1')).toBe(false);
    });

    it('overwrites: the new bytes, type and metadata replace the old ones', async () => {
      await store().put('o', chunked(payload(700 * 1024)), { contentType: 'image/png', metadata: { v: '1' } });
      const second = Buffer.from('second version');
      await store().put('o', second, { contentType: 'text/plain; charset=utf-8', metadata: { v: '2' } });
      const blob = await store().get('o');
      expect(blob).toMatchObject({
        bytes: second.length,
        sha256: sha256(second),
        contentType: 'text/plain; charset=utf-8',
        metadata: { v: '2' },
      });
      expect(await readAll(blob?.stream ?? chunked(Buffer.alloc(0)))).toEqual(second);
      expect(await store().delete('o')).toBe(true);
      expect(await store().exists('o')).toBe(false);
    });

    it('keeps the previous blob when an upload fails midway', async () => {
      await store().put('keep', Buffer.from('old'));
      expect(await rejectionOf(store().put('keep', failingAfter(payload(300 * 1024))))).toBeInstanceOf(Error);
      expect(await readBlob(store(), 'keep')).toEqual(Buffer.from('old'));
      expect(await rejectionOf(store().put('never', failingAfter(payload(1024))))).toBeInstanceOf(Error);
      expect(await store().exists('never')).toBe(false);
    });

    const badKeys: Array<[string, string]> = [
      ['a parent segment', '../escape'],
      ['a parent segment inside', 'a/../../b'],
      ['an absolute path', '/absolute'],
      ['an empty segment', 'a//b'],
      ['a trailing slash', 'a/'],
      ['an empty key', ''],
      ['only ..', '..'],
      ['only .', '.'],
      ['a . segment', 'a/./b'],
      ['a backslash', 'back\\slash'],
      ['a NUL byte', 'nul\u0000'],
      ['a space', 'sp ace'],
      ['513 characters', 'x'.repeat(513)],
    ];
    it.each(badKeys)('refuses a key with %s in every operation', async (_label, key) => {
      expect(await rejectionOf(store().put(key, Buffer.from('x')))).toBeInstanceOf(BlobRequestError);
      expect(await rejectionOf(store().get(key))).toBeInstanceOf(BlobRequestError);
      expect(await rejectionOf(store().exists(key))).toBeInstanceOf(BlobRequestError);
      expect(await rejectionOf(store().delete(key))).toBeInstanceOf(BlobRequestError);
    });

    it('refuses metadata that is not strings and malformed content types', async () => {
      const bad = [
        { metadata: { n: 1 } as unknown as Record<string, string> },
        { metadata: { $where: 'x' } },
        { contentType: 'not a type' },
        { contentType: 'text/plain\r\nX: y' },
      ];
      for (const options of bad) expect(await rejectionOf(store().put('m', Buffer.from('x'), options))).toBeInstanceOf(BlobRequestError);
      expect(await store().exists('m')).toBe(false);
    });

    it('keeps keys that nest inside each other apart', async () => {
      await store().put('n', Buffer.from('outer'));
      await store().put('n/inner', Buffer.from('inner'));
      expect((await readBlob(store(), 'n'))?.toString()).toBe('outer');
      expect((await readBlob(store(), 'n/inner'))?.toString()).toBe('inner');
    });

    it('handles concurrent puts: all distinct keys land, and one key ends with exactly one complete version', async () => {
      const distinct = Array.from({ length: 6 }, (_, i) => payload(200 * 1024 + i));
      await Promise.all(distinct.map((bytes, i) => store().put(`c/${i}`, chunked(bytes))));
      for (const [i, bytes] of distinct.entries())
        expect(sha256((await readBlob(store(), `c/${i}`)) ?? Buffer.alloc(0))).toBe(sha256(bytes));
      const versions = Array.from({ length: 5 }, (_, i) => payload(150 * 1024 + i));
      const results = await Promise.all(versions.map((bytes, i) => store().put('same', chunked(bytes), { metadata: { i: String(i) } })));
      const blob = await store().get('same');
      const read = await readAll(blob?.stream ?? chunked(Buffer.alloc(0)));
      const winner = versions.findIndex((bytes) => sha256(bytes) === sha256(read));
      expect(winner).toBeGreaterThanOrEqual(0);
      expect(blob).toMatchObject({ bytes: read.length, sha256: results[winner]?.sha256, metadata: { i: String(winner) } });
    });

    it('reads byte ranges (ends inclusive, end clamped to the last byte) across chunk boundaries, and refuses ranges outside the blob', async () => {
      const bytes = payload(600 * 1024 + 7);
      await store().put('r/1', chunked(bytes));
      const range = async (start: number, end: number): Promise<{ size: number; read: Buffer }> => {
        const blob = await store().get('r/1', { range: { start, end } });
        return { size: blob?.bytes ?? -1, read: await readAll(blob?.stream ?? chunked(Buffer.alloc(0))) };
      };
      expect(await range(0, 0)).toEqual({ size: bytes.length, read: bytes.subarray(0, 1) });
      const middle = await range(255 * 1024 - 10, 300 * 1024);
      expect(middle.read.equals(bytes.subarray(255 * 1024 - 10, 300 * 1024 + 1))).toBe(true);
      const tail = await range(bytes.length - 5, bytes.length + 100);
      expect(tail.read.equals(bytes.subarray(bytes.length - 5))).toBe(true);
      for (const bad of [
        { start: bytes.length, end: bytes.length + 1 },
        { start: 10, end: 5 },
        { start: -1, end: 3 },
      ]) {
        const error = await rejectionOf(store().get('r/1', { range: bad }));
        expect(error).toBeInstanceOf(BlobRequestError);
        expect(error).toMatchObject({ field: 'range' });
      }
      expect(await store().get('r/missing', { range: { start: 0, end: 1 } })).toBeNull();
    });

    it('answers ping while running and refuses once stopped (stop twice is fine)', async () => {
      await expect(store().ping()).resolves.toBeUndefined();
      await store().stop();
      await store().stop();
      await expect(store().ping()).rejects.toThrow();
      await expect(store().exists('a')).rejects.toThrow();
    });
  });
}
