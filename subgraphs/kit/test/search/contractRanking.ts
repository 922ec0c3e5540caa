import { doc, hitIds, ids, newOwner, put, request, type ContractContext } from './contractFixtures';

/** Orderings BM25, cosine kNN and RRF guarantee whatever the engine, and highlight markup. */
export function rankingContract(ctx: () => ContractContext): void {
  it('ranks more occurrences in a shorter field higher, and omits documents without the terms', async () => {
    const owner = newOwner();
    const [many, some, once, none] = ids('bm25', 'many', 'some', 'once', 'none');
    await put(ctx().index, [
      doc({ id: once!, ownerId: owner, body: 'zebra grazing near the river with many other animals around it today' }),
      doc({ id: many!, ownerId: owner, body: 'zebra zebra zebra' }),
      doc({ id: none!, ownerId: owner, body: 'nothing relevant here at all' }),
      doc({ id: some!, ownerId: owner, body: 'Zebra zebra among the lions and giraffes of the savannah plains' }),
    ]);
    const result = await ctx().index.search(request(owner, 'keyword', { text: 'zebras? Zebra!' }));
    expect(hitIds(result)).toEqual([many, some, once]);
    const scores = result.hits.map((hit) => hit.score);
    expect(scores[0]).toBeGreaterThan(scores[1]!);
    expect(scores[1]).toBeGreaterThan(scores[2]!);
    expect(result.hits.every((hit) => hit.kind === 'message')).toBe(true);
  });

  it('weights fields: a term in the title (weight 2) beats the same term in the body', async () => {
    const owner = newOwner();
    const [inTitle, inBody] = ids('weights', 'title', 'body');
    await put(ctx().index, [
      doc({ id: inBody!, ownerId: owner, title: 'wombat', body: 'quokka' }),
      doc({ id: inTitle!, ownerId: owner, title: 'quokka', body: 'wombat' }),
    ]);
    const result = await ctx().index.search(request(owner, 'keyword', { text: 'quokka' }));
    expect(hitIds(result)).toEqual([inTitle, inBody]);
  });

  it('ignores stopwords, so a query of only stopwords finds nothing', async () => {
    const owner = newOwner();
    const [id] = ids('stop', 'a');
    await put(ctx().index, [doc({ id: id!, ownerId: owner, body: 'the cat is on the mat' })]);
    expect(hitIds(await ctx().index.search(request(owner, 'keyword', { text: 'the is on' })))).toEqual([]);
    expect(hitIds(await ctx().index.search(request(owner, 'keyword', { text: 'the MAT' })))).toEqual([id]);
  });

  it('marks matched terms in the highlight and escapes the rest as HTML', async () => {
    const owner = newOwner();
    const [id] = ids('highlight', 'a');
    await put(ctx().index, [doc({ id: id!, ownerId: owner, title: 'notes', body: 'if x < y & the Pelican flies, <b>pelican</b> lands' })]);
    const [hit] = (await ctx().index.search(request(owner, 'keyword', { text: 'pelican' }))).hits;
    expect(hit?.highlight).toMatch(/<mark>Pelican<\/mark>/);
    expect(hit?.highlight).toMatch(/<mark>pelican<\/mark>/);
    expect(hit?.highlight).toContain('&lt;');
    expect(hit?.highlight.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
  });

  it('returns the nearest vectors by cosine in semantic mode, scored (1 + cos) / 2', async () => {
    const owner = newOwner();
    const [same, near, orthogonal, opposite, noVector] = ids('knn', 'same', 'near', 'orth', 'opp', 'novec');
    await put(ctx().index, [
      doc({ id: orthogonal!, ownerId: owner, vector: [0, 1, 0] }),
      doc({ id: opposite!, ownerId: owner, vector: [-1, 0, 0] }),
      doc({ id: same!, ownerId: owner, vector: [2, 0.4, 0] }),
      doc({ id: near!, ownerId: owner, vector: [1, 1, 0] }),
      doc({ id: noVector!, ownerId: owner, body: 'no embedding yet' }),
    ]);
    const result = await ctx().index.search(request(owner, 'semantic', { vector: [1, 0.2, 0] }));
    expect(hitIds(result)).toEqual([same, near, orthogonal, opposite]);
    expect(result.hits[0]!.score).toBeCloseTo(1, 4);
    const cosNear = 1.2 / (Math.sqrt(1.04) * Math.SQRT2);
    expect(result.hits[1]!.score).toBeCloseTo((1 + cosNear) / 2, 4);
    expect(result.hits[3]!.score).toBeCloseTo((1 - 1 / Math.sqrt(1.04)) / 2, 4);
  });

  it('gives semantic hits a highlight: marked when the query text occurs, else the start of the text', async () => {
    const owner = newOwner();
    const [withTerm, without] = ids('semhl', 'with', 'without');
    await put(ctx().index, [
      doc({ id: withTerm!, ownerId: owner, title: 'trip', body: 'packing list for the glacier hike', vector: [1, 0, 0] }),
      doc({ id: without!, ownerId: owner, title: 'Groceries', body: 'milk and bread', vector: [0.9, 0.1, 0] }),
    ]);
    const result = await ctx().index.search(request(owner, 'semantic', { text: 'glacier', vector: [1, 0, 0] }));
    expect(hitIds(result)).toEqual([withTerm, without]);
    expect(result.hits[0]!.highlight).toContain('<mark>glacier</mark>');
    expect(result.hits[1]!.highlight).toBe('Groceries');
  });

  it('fuses keyword and vector ranks by RRF (k = 60) in hybrid mode', async () => {
    const owner = newOwner();
    const [textBest, both, vectorOnly, textOnly] = ids('rrf', 'textbest', 'both', 'vec', 'text');
    await put(ctx().index, [
      // keyword ranks: textBest 1, both 2, textOnly 3; vector ranks: both 1, vectorOnly 2, textBest 3
      doc({ id: textBest!, ownerId: owner, body: 'kiwi kiwi kiwi', vector: [1, 0, 0.2] }),
      doc({ id: both!, ownerId: owner, body: 'kiwi kiwi fresh fruit', vector: [0.1, 0, 1] }),
      doc({ id: vectorOnly!, ownerId: owner, body: 'banana split', vector: [0.5, 0, 1] }),
      doc({ id: textOnly!, ownerId: owner, body: 'kiwi with a long tail of other words and many more words after' }),
    ]);
    const result = await ctx().index.search(request(owner, 'hybrid', { text: 'kiwi', vector: [0, 0, 1] }));
    expect(hitIds(result)).toEqual([both, textBest, vectorOnly, textOnly]);
    const scores = result.hits.map((hit) => hit.score);
    expect(scores[0]).toBeCloseTo(1 / 61 + 1 / 62, 12);
    expect(scores[1]).toBeCloseTo(1 / 61 + 1 / 63, 12);
    expect(scores[2]).toBeCloseTo(1 / 62, 12);
    expect(scores[3]).toBeCloseTo(1 / 63, 12);
    expect(result.hits[0]!.highlight).toContain('<mark>kiwi</mark>');
  });
}
