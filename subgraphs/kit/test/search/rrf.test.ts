import { fuseByReciprocalRank, RRF_RANK_CONSTANT } from '../../src/search';

describe('fuseByReciprocalRank', () => {
  it('sums 1 / (k + rank) over the lists a document appears in', () => {
    const fused = fuseByReciprocalRank([
      ['a', 'b', 'c'],
      ['c', 'a'],
    ]);
    expect(fused.map((entry) => entry.id)).toEqual(['a', 'c', 'b']);
    expect(fused[0]!.score).toBeCloseTo(1 / 61 + 1 / 62, 15);
    expect(fused[1]!.score).toBeCloseTo(1 / 63 + 1 / 61, 15);
    expect(fused[2]!.score).toBeCloseTo(1 / 62, 15);
    expect(RRF_RANK_CONSTANT).toBe(60);
  });

  it('breaks equal scores by best rank, then by id, whatever the list order', () => {
    // x and y both score 1/61 + 1/62; z and w are alone at rank 3 in one list each.
    const lists = [
      ['y', 'x', 'w'],
      ['x', 'y', 'z'],
    ];
    expect(fuseByReciprocalRank(lists).map((entry) => entry.id)).toEqual(['x', 'y', 'w', 'z']);
    expect(fuseByReciprocalRank([...lists].reverse()).map((entry) => entry.id)).toEqual(['x', 'y', 'w', 'z']);
  });

  it('counts an id repeated within one list once, at its best rank, and honours k', () => {
    const fused = fuseByReciprocalRank([['a', 'b', 'a']], 1);
    expect(fused).toEqual([
      { id: 'a', score: 1 / 2 },
      { id: 'b', score: 1 / 3 },
    ]);
    expect(fuseByReciprocalRank([])).toEqual([]);
  });
});
