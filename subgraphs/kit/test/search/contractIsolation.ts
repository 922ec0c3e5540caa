import { SearchRequestError, type SearchMode, type SearchRequest } from '../../src/search';
import { doc, hitIds, ids, newOwner, put, request, type ContractContext } from './contractFixtures';

const MODES: SearchMode[] = ['keyword', 'semantic', 'hybrid'];

/** Every search is confined to one owner, then narrowed by kind, keyword and time filters. */
export function isolationContract(ctx: () => ContractContext): void {
  it.each(MODES)("never returns another owner's documents (%s)", async (mode) => {
    const [alice, bob] = [newOwner(), newOwner()];
    const [aliceFar, bobExact, bobText] = ids(`iso-${mode}`, 'alice', 'bobexact', 'bobtext');
    await put(ctx().index, [
      doc({ id: aliceFar!, ownerId: alice, body: 'an otter note', vector: [0, 1, 0] }),
      // Bob's documents match the query better in every way.
      doc({ id: bobExact!, ownerId: bob, title: 'otter otter', body: 'otter otter otter', vector: [1, 0, 0] }),
      doc({ id: bobText!, ownerId: bob, title: 'otter', body: 'otter', vector: [1, 0.01, 0] }),
    ]);
    const query: Partial<SearchRequest> = { text: 'otter', vector: [1, 0, 0] };
    expect(hitIds(await ctx().index.search(request(alice, mode, query)))).toEqual([aliceFar]);
    expect(new Set(hitIds(await ctx().index.search(request(bob, mode, query))))).toEqual(new Set([bobExact, bobText]));
  });

  it('refuses a search without an owner, in every mode', async () => {
    for (const mode of MODES) {
      for (const ownerId of ['', undefined, null]) {
        const bad = { ...request('x', mode, { text: 'otter', vector: [1, 0, 0] }), ownerId } as unknown as SearchRequest;
        await expect(ctx().index.search(bad)).rejects.toBeInstanceOf(SearchRequestError);
      }
    }
  });

  it.each(MODES)('filters by kind (%s)', async (mode) => {
    const owner = newOwner();
    const [message, file, conversation] = ids(`kind-${mode}`, 'message', 'file', 'conversation');
    await put(ctx().index, [
      doc({ id: message!, ownerId: owner, kind: 'message', body: 'heron sighting', vector: [1, 0, 0] }),
      doc({ id: file!, ownerId: owner, kind: 'file', body: 'heron photo', vector: [1, 0.1, 0] }),
      doc({ id: conversation!, ownerId: owner, kind: 'conversation', body: 'heron chat', vector: [1, 0.2, 0] }),
    ]);
    const search = (kinds: string[]) => ctx().index.search(request(owner, mode, { text: 'heron', vector: [1, 0, 0], filters: { kinds } }));
    expect(hitIds(await search(['file']))).toEqual([file]);
    expect(new Set(hitIds(await search(['message', 'conversation'])))).toEqual(new Set([message, conversation]));
    expect(hitIds(await search([]))).toHaveLength(3);
    expect((await search(['file'])).hits[0]?.kind).toBe('file');
  });

  it('filters by keyword equality, any of several values, on single and multi-valued fields', async () => {
    const owner = newOwner();
    const [c1, c2, tagged] = ids('keyword', 'c1', 'c2', 'tagged');
    await put(ctx().index, [
      doc({ id: c1!, ownerId: owner, body: 'ibis one', keywords: { conversationId: 'conv-1' } }),
      doc({ id: c2!, ownerId: owner, body: 'ibis two', keywords: { conversationId: 'conv-2' } }),
      doc({ id: tagged!, ownerId: owner, body: 'ibis three', keywords: { conversationId: 'conv-3', tags: ['birds', 'work'] } }),
    ]);
    const search = (keywords: Record<string, string | string[]>) =>
      ctx()
        .index.search(request(owner, 'keyword', { text: 'ibis', filters: { keywords } }))
        .then(hitIds);
    expect(await search({ conversationId: 'conv-1' })).toEqual([c1]);
    expect(new Set(await search({ conversationId: ['conv-1', 'conv-2'] }))).toEqual(new Set([c1, c2]));
    expect(await search({ tags: 'work' })).toEqual([tagged]);
    expect(await search({ tags: 'work', conversationId: 'conv-1' })).toEqual([]);
    await expect(
      ctx().index.search(request(owner, 'keyword', { text: 'ibis', filters: { keywords: { undeclared: 'x' } } })),
    ).rejects.toBeInstanceOf(SearchRequestError);
  });

  it.each(MODES)('filters by creation time, from inclusive to exclusive (%s)', async (mode) => {
    const owner = newOwner();
    const [early, middle, late] = ids(`time-${mode}`, 'early', 'middle', 'late');
    await put(ctx().index, [
      doc({ id: early!, ownerId: owner, body: 'crane', vector: [1, 0, 0], createdAt: new Date('2025-01-01T00:00:00Z') }),
      doc({ id: middle!, ownerId: owner, body: 'crane', vector: [1, 0, 0], createdAt: new Date('2025-02-01T00:00:00Z') }),
      doc({ id: late!, ownerId: owner, body: 'crane', vector: [1, 0, 0], createdAt: new Date('2025-03-01T00:00:00Z') }),
    ]);
    const filters = { createdAt: { gte: new Date('2025-02-01T00:00:00Z'), lt: new Date('2025-03-01T00:00:00Z') } };
    expect(hitIds(await ctx().index.search(request(owner, mode, { text: 'crane', vector: [1, 0, 0], filters })))).toEqual([middle]);
    const since = { createdAt: { gte: new Date('2025-01-15T00:00:00Z') } };
    expect(hitIds(await ctx().index.search(request(owner, mode, { text: 'crane', vector: [1, 0, 0], filters: since })))).toEqual(
      [middle, late].sort(),
    );
  });
}
