import type { KvStore, StreamEntry } from '../../src/kv';
import { eventually, followUntil, seqs, sleep, within, type KvContext } from './helpers';

const deltas = (entries: StreamEntry[]): string[] => entries.map((e) => e.fields.delta ?? '?');

async function appendMany(kv: KvStore, stream: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await kv.append(stream, { delta: `t${i + 1}` });
}

export function streamContract(ctx: KvContext): void {
  it('numbers appends 1, 2, 3... and reads them back in order, after a seq, by count', async () => {
    const kv = ctx.kv();
    expect(await kv.append('gen', { delta: 'Hel', type: 'chunk' })).toBe(1);
    expect(await kv.append('gen', { delta: 'lo' })).toBe(2);
    expect(await kv.append('gen', { delta: '!' })).toBe(3);
    expect(await kv.read('gen')).toEqual([
      { seq: 1, fields: { delta: 'Hel', type: 'chunk' } },
      { seq: 2, fields: { delta: 'lo' } },
      { seq: 3, fields: { delta: '!' } },
    ]);
    expect(deltas(await kv.read('gen', { after: 1 }))).toEqual(['lo', '!']);
    expect(deltas(await kv.read('gen', { after: 1, count: 1 }))).toEqual(['lo']);
    expect(await kv.read('gen', { after: 3 })).toEqual([]);
    expect(await kv.read('missing')).toEqual([]);
  });

  it('gives concurrent writers distinct consecutive seqs, stored in seq order', async () => {
    const kv = ctx.kv();
    const peer = await ctx.peer();
    const writes = Array.from({ length: 60 }, (_, i) =>
      (i % 2 ? kv : peer).append('shared', { delta: `w${i}` }).then((seq) => [seq, `w${i}`] as const),
    );
    const appended = await Promise.all(writes);
    expect(appended.map(([seq]) => seq).sort((a, b) => a - b)).toEqual(seqs(1, 60));
    const stored = await kv.read('shared');
    expect(stored.map((e) => e.seq)).toEqual(seqs(1, 60));
    expect(stored.map((e) => [e.seq, e.fields.delta])).toEqual([...appended].sort((a, b) => a[0] - b[0]).map(([s, d]) => [s, d]));
  });

  it('follows: replays what is there, then delivers new entries live', async () => {
    const kv = ctx.kv();
    await appendMany(kv, 'live', 3);
    const follower = kv.follow('live');
    const replay = [await follower.next(), await follower.next(), await follower.next()];
    expect(replay.map((r) => r.value?.seq)).toEqual([1, 2, 3]);
    const pending = follower.next();
    await kv.append('live', { delta: 't4' });
    expect((await within(pending, 5000, 'the live entry')).value).toEqual({ seq: 4, fields: { delta: 't4' } });
    await kv.append('live', { delta: 't5' });
    expect(deltas(await followUntil(follower, 5))).toEqual(['t5']);
  });

  it('follows from a given seq, and waits on a stream that does not exist yet', async () => {
    const kv = ctx.kv();
    await appendMany(kv, 'resume', 5);
    expect(deltas(await followUntil(kv.follow('resume', { after: 3 }), 5))).toEqual(['t4', 't5']);
    const early = followUntil(kv.follow('later'), 2);
    await kv.append('later', { delta: 'first' });
    await kv.append('later', { delta: 'second' });
    expect(deltas(await early)).toEqual(['first', 'second']);
  });

  it('misses nothing and repeats nothing when appends race with followers starting', async () => {
    const kv = ctx.kv();
    const writer = await ctx.peer();
    const total = 300;
    const followers: Array<{ after: number; done: Promise<StreamEntry[]> }> = [];
    const writing = (async () => {
      for (let i = 1; i <= total; i++) {
        await writer.append('race', { delta: `t${i}` });
        // Followers join at various points, including mid-stream, resuming after what they saw.
        if (i % 50 === 0) followers.push({ after: i - 25, done: followUntil(kv.follow('race', { after: i - 25 }), total) });
      }
    })();
    followers.push({ after: 0, done: followUntil(kv.follow('race'), total) });
    await writing;
    for (const follower of followers) {
      expect((await follower.done).map((e) => e.seq)).toEqual(seqs(follower.after + 1, total));
    }
  });

  it('feeds several followers of one stream the same entries', async () => {
    const kv = ctx.kv();
    const a = followUntil(kv.follow('fanout'), 20);
    const b = followUntil(kv.follow('fanout'), 20);
    await appendMany(kv, 'fanout', 20);
    expect((await a).map((e) => e.seq)).toEqual(seqs(1, 20));
    expect((await b).map((e) => e.seq)).toEqual(seqs(1, 20));
  });

  it('wakes a follower that fell behind another follower of the stream, with no further append', async () => {
    const kv = ctx.kv();
    await kv.append('tail', { delta: 't1' });
    const slow = kv.follow('tail');
    expect((await slow.next()).value?.seq).toBe(1);
    const fast = followUntil(kv.follow('tail'), 5);
    await appendMany(kv, 'tail', 4);
    expect((await fast).map((e) => e.seq)).toEqual(seqs(1, 5));
    // The fast follower already took 2..5 through the shared reader; the slow one must still get them.
    expect((await followUntil(slow, 5)).map((e) => e.seq)).toEqual(seqs(2, 5));
  });

  it('wakes followers of several streams independently', async () => {
    const kv = ctx.kv();
    const first = kv.follow('first');
    const firstEntry = first.next();
    await kv.append('first', { delta: 'f1' });
    expect((await firstEntry).value?.seq).toBe(1);
    const waitingFirst = first.next();
    // Redis: by now the shared blocking read covers only "first"; "second" joins and must interrupt
    // it (well under its 5 s safety timeout, hence the bound).
    const second = followUntil(kv.follow('second'), 1, 3000);
    await sleep(50); // lets "second" find its stream empty and wait (were it slower, the test would only be weaker)
    await kv.append('second', { delta: 's1' });
    expect(deltas(await second)).toEqual(['s1']);
    await kv.append('first', { delta: 'f2' });
    expect((await within(waitingFirst, 3000, 'the next entry of the first stream')).value?.seq).toBe(2);
    await first.return?.();
  });

  it('serves many followers of many streams at once', async () => {
    const kv = ctx.kv();
    const followers = Array.from({ length: 40 }, (_, i) => followUntil(kv.follow(`many:${i}`), 2));
    await sleep(20);
    for (let i = 0; i < 40; i++) await kv.append(`many:${i}`, { delta: 'a' });
    for (let i = 0; i < 40; i++) await kv.append(`many:${i}`, { delta: 'b' });
    for (const follower of followers) expect(deltas(await follower)).toEqual(['a', 'b']);
  });

  it('ends a waiting follower at once on return() or abort, without an error', async () => {
    const kv = ctx.kv();
    const follower = kv.follow('idle');
    const pending = follower.next();
    await follower.return?.();
    expect(await within(pending, 2000, 'the pending next() to end')).toEqual({ done: true, value: undefined });

    const controller = new AbortController();
    const aborted = kv.follow('idle', { signal: controller.signal });
    const waiting = aborted.next();
    controller.abort();
    expect(await within(waiting, 2000, 'the aborted follow to end')).toMatchObject({ done: true });
    expect(await aborted.next()).toMatchObject({ done: true });
  });

  it('bounds a stream on append (about maxLen) and trims exactly on trim()', async () => {
    const kv = ctx.kv();
    for (let i = 0; i < 400; i++) await kv.append('bounded', { delta: `t${i + 1}` }, { maxLen: 50 });
    const kept = await kv.read('bounded');
    expect(kept.length).toBeGreaterThanOrEqual(50);
    expect(kept.length).toBeLessThanOrEqual(150);
    expect(kept.map((e) => e.seq)).toEqual(seqs(401 - kept.length, 400));
    expect(await kv.trim('bounded', 10)).toBe(kept.length - 10);
    expect((await kv.read('bounded')).map((e) => e.seq)).toEqual(seqs(391, 400));
    expect(await kv.append('bounded', { delta: 'next' })).toBe(401);
  });

  it('shows trimmed entries to a late follower as a jump in seq', async () => {
    const kv = ctx.kv();
    await appendMany(kv, 'lossy', 10);
    await kv.trim('lossy', 3);
    expect((await followUntil(kv.follow('lossy'), 10)).map((e) => e.seq)).toEqual([8, 9, 10]);
  });

  it('keeps a completed stream for its ttl, then forgets it', async () => {
    const kv = ctx.kv();
    await appendMany(kv, 'done', 3);
    await kv.append('done', { type: 'end' });
    expect(await kv.expire('done', 150)).toBe(true);
    expect(await kv.read('done')).toHaveLength(4);
    await eventually(async () => (await kv.read('done')).length === 0, 'the completed stream to expire');
    // A stream key that expired is a new stream if written again.
    expect(await kv.append('done', { delta: 'again' })).toBe(1);
  });

  it('refuses empty entries and invalid bounds', async () => {
    const kv = ctx.kv();
    await expect(kv.append('s', {})).rejects.toThrow(RangeError);
    await expect(kv.append('s', { a: 'b' }, { maxLen: 0 })).rejects.toThrow(RangeError);
    await expect(kv.read('s', { after: -1 })).rejects.toThrow(RangeError);
    await expect(kv.trim('s', 0)).rejects.toThrow(RangeError);
  });
}
