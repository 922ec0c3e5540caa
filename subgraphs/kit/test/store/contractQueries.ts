import type { Filter } from '../../src/store';
import { at, person, seedPeople, sortedIds, type GetContext, type Person } from './contractFixtures';

/** Contract part: inserting, reading, every filter operator, sorting, skip and limit. */
export function queryContract(ctx: GetContext): void {
  beforeEach(async () => {
    await ctx().people.insertMany(seedPeople());
  });

  it('inserts and reads back documents with dates, defaults and casting applied', async () => {
    const { people } = ctx();
    // Casting and defaults come from the schema: the string age becomes a number, tags/items/score are defaulted.
    const input = { _id: 'n1', name: 'Neo', age: '42', createdAt: at(9) } as unknown as Person;
    const inserted = await people.insertOne(input);
    expect(inserted).toEqual({ _id: 'n1', name: 'Neo', age: 42, tags: [], items: [], createdAt: at(9), score: 0 });
    const found = await people.findById('n1');
    expect(found).toEqual(inserted);
    expect(found?.createdAt).toBeInstanceOf(Date);
    expect(await people.findById('nope')).toBeNull();
  });

  it('finds by ids, ignoring unknown and repeated ids', async () => {
    const found = await ctx().people.findByIds(['p3', 'zz', 'p1', 'p3']);
    expect(sortedIds(found)).toEqual(['p1', 'p3']);
  });

  it('counts and finds with an empty filter', async () => {
    const { people } = ctx();
    expect(await people.count({})).toBe(5);
    expect(sortedIds(await people.find({}))).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    expect(await people.count({ tags: 'math' })).toBe(2);
  });

  const cases: Array<[string, Filter, string[]]> = [
    ['plain equality', { name: 'Ada' }, ['p1']],
    ['equality on an array element', { tags: 'code' }, ['p1', 'p2']],
    ['equality on a whole array', { tags: ['math', 'code'] }, ['p1']],
    ['a dotted path', { 'address.city': 'London' }, ['p1', 'p4']],
    ['a dotted path through an array of documents', { 'items.sku': 'c' }, ['p3']],
    ['several fields (implicit and)', { age: 25, score: 1 }, ['p5']],
    ['$eq', { age: { $eq: 25 } }, ['p2', 'p5']],
    ['$ne (documents missing the field match)', { age: { $ne: 25 } }, ['p1', 'p3', 'p4']],
    ['$in', { age: { $in: [25, 41] } }, ['p2', 'p4', 'p5']],
    ['$in on an array field', { tags: { $in: ['art', 'math'] } }, ['p1', 'p4', 'p5']],
    ['$nin (documents missing the field match)', { age: { $nin: [25, 41] } }, ['p1', 'p3']],
    ['$gt', { age: { $gt: 36 } }, ['p4']],
    ['$gte', { age: { $gte: 36 } }, ['p1', 'p4']],
    ['$lt (missing fields do not match)', { age: { $lt: 36 } }, ['p2', 'p5']],
    ['$lte', { age: { $lte: 36 } }, ['p1', 'p2', 'p5']],
    ['a range on dates', { createdAt: { $gt: at(2), $lte: at(4) } }, ['p3', 'p4']],
    ['equality on a date', { createdAt: at(3) }, ['p3']],
    ['a range on strings', { name: { $gte: 'B', $lt: 'D' } }, ['p2', 'p3']],
    ['$exists: true', { email: { $exists: true } }, ['p1', 'p4']],
    ['$exists: false', { age: { $exists: false } }, ['p3']],
    ['$exists: true on an indexed field', { age: { $exists: true } }, ['p1', 'p2', 'p4', 'p5']],
    ['$exists: true on an indexed array (an empty array exists)', { tags: { $exists: true } }, ['p1', 'p2', 'p3', 'p4', 'p5']],
    ['$exists: true with another condition', { age: { $exists: true }, score: 5 }, ['p2', 'p4']],
    ['null (matches null and missing)', { nickname: null }, ['p1', 'p2', 'p3', 'p4']],
    ['$exists: true (null exists)', { nickname: { $exists: true } }, ['p2', 'p5']],
    ['$ne: null', { nickname: { $ne: null } }, ['p5']],
    ['$and', { $and: [{ tags: 'math' }, { age: { $gt: 30 } }] }, ['p1']],
    ['$or', { $or: [{ name: 'Cy' }, { 'address.city': 'Paris' }] }, ['p2', 'p3']],
    ['$or inside $and', { $and: [{ $or: [{ age: 25 }, { age: 41 }] }, { score: { $gte: 5 } }] }, ['p2', 'p4']],
    ['_id $in', { _id: { $in: ['p1', 'p9', 'p3'] } }, ['p1', 'p3']],
    ['an _id range', { _id: { $gt: 'p3' } }, ['p4', 'p5']],
    ['a match on nothing', { name: 'Zed' }, []],
  ];
  it.each(cases)('filters with %s', async (_label, filter, expected) => {
    const { people } = ctx();
    expect(sortedIds(await people.find(filter))).toEqual(expected);
    expect(await people.count(filter)).toBe(expected.length);
  });

  it('sorts on one and several fields, missing values first ascending', async () => {
    const { people } = ctx();
    const order = async (sort: Record<string, 1 | -1>): Promise<string[]> => (await people.find({}, { sort })).map((doc) => doc._id);
    expect(await order({ age: 1, _id: 1 })).toEqual(['p3', 'p2', 'p5', 'p1', 'p4']);
    expect(await order({ age: -1, _id: 1 })).toEqual(['p4', 'p1', 'p2', 'p5', 'p3']);
    expect(await order({ score: -1, name: 1 })).toEqual(['p1', 'p3', 'p2', 'p4', 'p5']);
    expect(await order({ score: -1, name: -1 })).toEqual(['p1', 'p3', 'p4', 'p2', 'p5']);
    expect(await order({ name: -1 })).toEqual(['p5', 'p4', 'p3', 'p2', 'p1']);
    expect(await order({ createdAt: 1 })).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
  });

  it('applies skip and limit after sorting', async () => {
    const { people } = ctx();
    const page = await people.find({}, { sort: { createdAt: 1 }, skip: 1, limit: 2 });
    expect(page.map((doc) => doc._id)).toEqual(['p2', 'p3']);
    const last = await people.find({}, { sort: { createdAt: -1 }, limit: 2 });
    expect(last.map((doc) => doc._id)).toEqual(['p5', 'p4']);
    expect(await people.find({}, { sort: { createdAt: 1 }, skip: 10 })).toEqual([]);
    expect(await people.find({ tags: 'math' }, { limit: 1 })).toHaveLength(1);
  });

  it('findOne honours the filter and the sort', async () => {
    const { people } = ctx();
    expect((await people.findOne({ tags: 'math' }, { sort: { createdAt: -1 } }))?._id).toBe('p5');
    expect((await people.findOne({ tags: 'math' }, { sort: { createdAt: 1 } }))?._id).toBe('p1');
    expect(await people.findOne({ name: 'Zed' })).toBeNull();
  });

  it('deletes one or many documents and reports how many', async () => {
    const { people } = ctx();
    expect(await people.deleteOne({ age: 25 })).toBe(1);
    expect(await people.count({ age: 25 })).toBe(1);
    expect(await people.deleteOne({ name: 'Zed' })).toBe(0);
    expect(await people.deleteMany({ 'address.city': 'London' })).toBe(2);
    expect(sortedIds(await people.find({}))).toHaveLength(2);
    expect(await people.deleteMany({})).toBe(2);
    expect(await people.count({})).toBe(0);
    await people.insertOne(person('p1'));
    expect(await people.count({})).toBe(1);
  });
}
