/** `lastSeqOf`: the newest seq of a stream found without reading it whole. */
import { createEmbeddedKv, type KvStore } from '@chatgraph/kit/kv';
import { tokenStreamKey } from '@chatgraph/schema';
import { lastSeqOf } from '../src/activeStreams';

describe('lastSeqOf', () => {
  let kv: KvStore;
  beforeEach(async () => {
    kv = createEmbeddedKv();
    await kv.start();
  });
  afterEach(() => kv.stop());

  it('is 0 for a missing stream', async () => {
    expect(await lastSeqOf(kv, 'missing')).toBe(0);
  });

  it.each([1, 2, 3, 4, 5, 7, 8, 9, 63, 64, 65, 100, 257, 1000])('finds %i after that many appends', async (n) => {
    for (let i = 0; i < n; i++) await kv.append(tokenStreamKey('s'), { type: 'delta', delta: 'x' });
    expect(await lastSeqOf(kv, 's')).toBe(n);
  });

  it('finds it in a trimmed stream', async () => {
    for (let i = 0; i < 300; i++) await kv.append(tokenStreamKey('s'), { type: 'delta', delta: 'x' });
    await kv.trim(tokenStreamKey('s'), 10);
    expect(await lastSeqOf(kv, 's')).toBe(300);
  });

  it('reads far fewer entries than the stream holds', async () => {
    for (let i = 0; i < 2000; i++) await kv.append(tokenStreamKey('s'), { type: 'delta', delta: 'x' });
    let returned = 0;
    const counting = Object.create(kv) as KvStore;
    counting.read = async (stream, options) => {
      const entries = await kv.read(stream, options);
      returned += entries.length;
      return entries;
    };
    expect(await lastSeqOf(counting, 's')).toBe(2000);
    expect(returned).toBeLessThan(30);
  });
});
