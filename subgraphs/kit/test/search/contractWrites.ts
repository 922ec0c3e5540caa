import { GraphQLError } from 'graphql';
import { SearchRequestError, type SearchMode } from '../../src/search';
import { allPages, doc, hitIds, ids, newOwner, put, request, type ContractContext } from './contractFixtures';

/** Cursor paging, replacing and deleting documents, and what a bulk write refuses. */
export function writesContract(ctx: () => ContractContext): void {
  it.each<SearchMode>(['keyword', 'semantic', 'hybrid'])('pages through every hit once, in order (%s)', async (mode) => {
    const owner = newOwner();
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const docIds = ids(`page-${mode}`, ...names);
    // Four identical documents tie on every score: the id must break the tie across pages.
    await put(
      ctx().index,
      docIds.map((id, i) =>
        doc({ id, ownerId: owner, body: i < 4 ? 'puffin' : `puffin ${'word '.repeat(i)}`, vector: i < 4 ? [1, 0, 0] : [1, i, 0] }),
      ),
    );
    const base = request(owner, mode, { text: 'puffin', vector: [1, 0, 0], size: 3 });
    const pages = await allPages(ctx().index, base);
    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(7);
    expect(seen).toEqual(hitIds(await ctx().index.search({ ...base, size: 10 })));
    // Every page reports the whole count, not its own size; another owner's identical document is not counted.
    await put(ctx().index, [doc({ id: ids(`page-${mode}-other`, 'x')[0]!, ownerId: newOwner(), body: 'puffin', vector: [1, 0, 0] })]);
    const first = await ctx().index.search(base);
    const second = await ctx().index.search({ ...base, cursor: first.cursor });
    expect([first.total, second.total]).toEqual([7, 7]);
  });

  it('refuses a malformed cursor or one from another mode as BAD_USER_INPUT', async () => {
    const owner = newOwner();
    await put(
      ctx().index,
      ids('cursor', 'a', 'b').map((id) => doc({ id, ownerId: owner, body: 'gannet', vector: [1, 0, 0] })),
    );
    const first = await ctx().index.search(request(owner, 'keyword', { text: 'gannet', size: 1 }));
    expect(first.cursor).not.toBeNull();
    for (const [mode, cursor] of [
      ['keyword', 'not-a-cursor'],
      ['semantic', first.cursor],
    ] as const) {
      const error = await ctx()
        .index.search(request(owner, mode, { text: 'gannet', vector: [1, 0, 0], cursor }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GraphQLError);
      expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    }
  });

  it('replaces a document on upsert of the same id, text, vector and fields alike', async () => {
    const owner = newOwner();
    const [id] = ids('replace', 'a');
    await put(ctx().index, [doc({ id: id!, ownerId: owner, kind: 'message', body: 'albatross', vector: [1, 0, 0] })]);
    const replacement = doc({ id: id!, ownerId: owner, kind: 'file', body: 'cormorant', vector: [0, 1, 0], keywords: { tags: ['sea'] } });
    await put(ctx().index, [replacement]);
    expect(hitIds(await ctx().index.search(request(owner, 'keyword', { text: 'albatross' })))).toEqual([]);
    const [hit] = (await ctx().index.search(request(owner, 'keyword', { text: 'cormorant' }))).hits;
    const { vector: _vector, ...stored } = replacement;
    expect(hit?.doc).toEqual(stored);
    expect(hit?.kind).toBe('file');
    const nearest = await ctx().index.search(request(owner, 'semantic', { vector: [0, 1, 0] }));
    expect(nearest.hits[0]?.score).toBeCloseTo(1, 4);
  });

  it('deletes by id and by owner, reporting how many existed', async () => {
    const [owner, other] = [newOwner(), newOwner()];
    const [a, b, c, kept] = ids('delete', 'a', 'b', 'c', 'kept');
    await put(ctx().index, [
      ...[a, b, c].map((id) => doc({ id: id!, ownerId: owner, body: 'petrel', vector: [1, 0, 0] })),
      doc({ id: kept!, ownerId: other, body: 'petrel', vector: [1, 0, 0] }),
    ]);
    expect(await ctx().index.delete([a!, 'never-indexed'], { refresh: true })).toBe(1);
    expect(new Set(hitIds(await ctx().index.search(request(owner, 'keyword', { text: 'petrel' }))))).toEqual(new Set([b, c]));
    expect(await ctx().index.deleteByOwner(owner, { refresh: true })).toBe(2);
    for (const mode of ['keyword', 'semantic', 'hybrid'] as const) {
      expect(hitIds(await ctx().index.search(request(owner, mode, { text: 'petrel', vector: [1, 0, 0] })))).toEqual([]);
    }
    expect(hitIds(await ctx().index.search(request(other, 'keyword', { text: 'petrel' })))).toEqual([kept]);
  });

  it("deletes one owner's documents matching keyword values, and refuses a match on nothing", async () => {
    const [owner, other] = [newOwner(), newOwner()];
    const [a1, a2, b1, foreign] = ids('matching', 'a1', 'a2', 'b1', 'foreign');
    await put(ctx().index, [
      doc({ id: a1!, ownerId: owner, body: 'shearwater', keywords: { conversationId: 'file-a' } }),
      doc({ id: a2!, ownerId: owner, body: 'shearwater', keywords: { conversationId: 'file-a', tags: ['x'] } }),
      doc({ id: b1!, ownerId: owner, body: 'shearwater', keywords: { conversationId: 'file-b' } }),
      // Same keyword value, another owner: never touched.
      doc({ id: foreign!, ownerId: other, body: 'shearwater', keywords: { conversationId: 'file-a' } }),
    ]);
    expect(await ctx().index.deleteMatching(owner, { conversationId: 'file-a' }, { refresh: true })).toBe(2);
    expect(hitIds(await ctx().index.search(request(owner, 'keyword', { text: 'shearwater' })))).toEqual([b1]);
    expect(hitIds(await ctx().index.search(request(other, 'keyword', { text: 'shearwater' })))).toEqual([foreign]);
    await expect(ctx().index.deleteMatching(owner, {})).rejects.toBeInstanceOf(SearchRequestError);
    await expect(ctx().index.deleteMatching(owner, { conversationId: [] })).rejects.toBeInstanceOf(SearchRequestError);
    await expect(ctx().index.deleteMatching(owner, { undeclared: 'x' })).rejects.toBeInstanceOf(SearchRequestError);
  });

  it('validates a whole bulk before writing: one bad document, nothing written', async () => {
    const owner = newOwner();
    const [good, bad] = ids('invalid', 'good', 'bad');
    const attempts = [
      doc({ id: bad!, ownerId: owner, body: 'skua', vector: [1, 0] }),
      doc({ id: bad!, ownerId: owner, body: 'skua', vector: [0, 0, 0] }),
      doc({ id: bad!, ownerId: '', body: 'skua' }),
      { ...doc({ id: bad!, ownerId: owner, body: 'skua' }), text: { nope: 'skua' } },
    ];
    for (const attempt of attempts) {
      await expect(
        ctx().index.upsert([doc({ id: good!, ownerId: owner, body: 'skua' }), attempt], { refresh: true }),
      ).rejects.toBeInstanceOf(SearchRequestError);
    }
    await ctx().index.refresh();
    expect(hitIds(await ctx().index.search(request(owner, 'keyword', { text: 'skua' })))).toEqual([]);
    await expect(ctx().index.deleteByOwner('')).rejects.toBeInstanceOf(SearchRequestError);
  });
}
