import { doc, hitIds, ids, newOwner, put, request, type ContractContext } from './contractFixtures';

/**
 * Reads besides ranked search, and backward paging, on every adapter: `get` returns an owner's
 * documents as written (vector included), `matchingIds` lists filtered ids, and a result list
 * paged backward (`before`) is the list paged forward, reversed page by page.
 */
export function readsContract(ctx: () => ContractContext): void {
  it("get returns the owner's documents with their vectors, never another owner's", async () => {
    const { index } = ctx();
    const owner = newOwner();
    const other = newOwner();
    const [a, b] = ids('get', 'a', 'b');
    await put(index, [
      doc({ id: a ?? '', ownerId: owner, title: 'kept', vector: [1, 0, 0], keywords: { tags: ['x'] } }),
      doc({ id: b ?? '', ownerId: other, title: 'theirs' }),
    ]);
    const got = await index.get(owner, [a ?? '', b ?? '', 'missing']);
    expect(got.map((d) => ({ id: d.id, vector: d.vector, tags: d.keywords?.tags, title: d.text.title }))).toEqual([
      { id: a, vector: [1, 0, 0], tags: ['x'], title: 'kept' },
    ]);
    expect(got[0]?.createdAt.getTime()).toBe(new Date('2025-01-01T00:00:00Z').getTime());
  });

  it("matchingIds lists the owner's filtered ids by id and says when the limit cut them", async () => {
    const { index } = ctx();
    const owner = newOwner();
    const [c, a, b, d] = ids('match', 'c', 'a', 'b', 'd');
    await put(index, [
      doc({ id: c ?? '', ownerId: owner, kind: 'conversation', keywords: { tags: ['work', 'q3'] } }),
      doc({ id: a ?? '', ownerId: owner, kind: 'conversation', keywords: { tags: ['work'] } }),
      doc({ id: b ?? '', ownerId: owner, kind: 'conversation', keywords: { tags: ['home'] } }),
      doc({ id: d ?? '', ownerId: newOwner(), kind: 'conversation', keywords: { tags: ['work'] } }),
    ]);
    const filters = { kinds: ['conversation'], keywords: { tags: ['work', 'q3'] } };
    expect(await index.matchingIds(owner, filters, 10)).toEqual({ ids: [a, c].sort(), complete: true });
    expect(await index.matchingIds(owner, filters, 1)).toEqual({ ids: [[a, c].sort()[0]], complete: false });
    await expect(index.matchingIds(owner, filters, 0)).rejects.toThrow(/limit/);
  });

  it("pages backward through the hits paged forward, in every mode, refusing another owner's cursor", async () => {
    const { index } = ctx();
    const owner = newOwner();
    const names = ['a', 'b', 'c', 'd', 'e'];
    const docIds = ids('back', ...names);
    await put(
      index,
      docIds.map((id, i) => doc({ id, ownerId: owner, body: `comet ${'tail '.repeat(i)}`, vector: [1, i / 10, 0.5] })),
    );
    for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
      const base = { text: 'comet', vector: [1, 0.2, 0.5] };
      const whole = hitIds(await index.search(request(owner, mode, { ...base, size: 10 })));
      expect({ mode, n: whole.length }).toEqual({ mode, n: 5 });
      const back: string[] = [];
      let before: string | undefined;
      const flags: boolean[][] = [];
      for (let n = 0; n < 5; n += 1) {
        const page = await index.search(request(owner, mode, { ...base, size: 2, backward: true, before: before ?? null }));
        back.unshift(...hitIds(page));
        flags.push([page.hasPrevious, page.hasNext]);
        if (!page.hasPrevious) break;
        before = page.hits[0]?.cursor;
      }
      expect({ mode, back }).toEqual({ mode, back: whole });
      expect({ mode, flags }).toEqual({
        mode,
        flags: [
          [true, false],
          [true, true],
          [false, true],
        ],
      });
      const cursor = (await index.search(request(owner, mode, { ...base, size: 2 }))).cursor;
      await expect(index.search(request(newOwner(), mode, { ...base, size: 2, cursor }))).rejects.toMatchObject({
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
  });
}
