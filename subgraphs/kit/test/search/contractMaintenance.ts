import { SearchRequestError } from '../../src/search';
import { contractDefinition, doc, hitIds, ids, newOwner, put, request, type ContractContext } from './contractFixtures';

/**
 * What search's embeddings need of an adapter: a kNN list restricted to one embedding model
 * (`vectorFilter`, the keyword list untouched) and a maintenance scan across owners of the
 * documents recorded with another model (`scanNotMatching`).
 */
export function maintenanceContract(ctx: () => ContractContext): void {
  it('vectorFilter restricts the kNN list only: semantic compares only those vectors, hybrid still finds the rest by words', async () => {
    const owner = newOwner();
    const [a, b] = ids('vf', 'a', 'b');
    await put(ctx().index, [
      doc({ id: a!, ownerId: owner, body: 'puffin colony', vector: [1, 0, 0], keywords: { tags: 'model-a' } }),
      doc({ id: b!, ownerId: owner, body: 'gannet colony', vector: [0.2, 1, 0], keywords: { tags: 'model-b' } }),
    ]);
    const near = { vector: [1, 0, 0], text: 'puffin' };
    expect(hitIds(await ctx().index.search(request(owner, 'semantic', near)))).toEqual([a, b]);
    expect(hitIds(await ctx().index.search(request(owner, 'semantic', { ...near, vectorFilter: { tags: 'model-b' } })))).toEqual([b]);
    // The keyword list of a hybrid search ignores it: `a` is found by its word.
    expect(hitIds(await ctx().index.search(request(owner, 'hybrid', { ...near, vectorFilter: { tags: 'model-b' } }))).sort()).toEqual(
      [a, b].sort(),
    );
    await expect(ctx().index.search(request(owner, 'semantic', { ...near, vectorFilter: { undeclared: 'x' } }))).rejects.toBeInstanceOf(
      SearchRequestError,
    );
  });

  it('scanNotMatching lists every owner’s documents without one of the values (or the field), in id order, paged by id', async () => {
    const { index, cleanup } = await ctx().make(contractDefinition());
    try {
      await index.start();
      const [first, second] = [newOwner(), newOwner()];
      await put(index, [
        doc({ id: 'd1', ownerId: first, keywords: { tags: 'old' } }),
        doc({ id: 'd2', ownerId: second, keywords: { tags: 'current' } }),
        doc({ id: 'd3', ownerId: second }),
        doc({ id: 'd4', ownerId: first, keywords: { tags: ['x', 'old'] } }),
        doc({ id: 'd5', ownerId: second, keywords: { tags: 'current', conversationId: 'c' } }),
      ]);
      const scan = async (after: string | null, size: number) =>
        (await index.scanNotMatching('tags', ['current'], after, size)).map((found) => [found.id, found.ownerId]);
      expect(await scan(null, 2)).toEqual([
        ['d1', first],
        ['d3', second],
      ]);
      expect(await scan('d3', 2)).toEqual([['d4', first]]);
      expect(await scan('d4', 2)).toEqual([]);
      // Read back whole (without the vector), ready to be written again.
      const [d4] = await index.scanNotMatching('tags', ['current'], 'd3', 1);
      expect(d4).toMatchObject({ id: 'd4', kind: 'message', text: { body: 'empty' }, keywords: { tags: ['x', 'old'] } });
      expect(d4?.createdAt).toBeInstanceOf(Date);
      await expect(index.scanNotMatching('undeclared', ['x'], null, 2)).rejects.toBeInstanceOf(SearchRequestError);
      await expect(index.scanNotMatching('tags', ['x'], null, 0)).rejects.toBeInstanceOf(SearchRequestError);
    } finally {
      await index.stop();
      await cleanup();
    }
  });
}
